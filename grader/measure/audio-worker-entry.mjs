// Worker threads do not inherit `--import tsx` on Node 20, so the audio worker (TypeScript) is
// loaded through tsx's API from this plain-JS entry.
import { register } from 'tsx/esm/api';

register();
await import('./audio-worker.ts');
