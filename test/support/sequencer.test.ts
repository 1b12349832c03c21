import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LONG_FILES } from './sequencer.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the long-files-first sequencer', () => {
  it('names only test files that exist, so a renamed one is not silently started last', () => {
    expect(LONG_FILES.filter((f) => !existsSync(ROOT + f))).toEqual([]);
    expect(LONG_FILES.every((f) => f.endsWith('.test.ts'))).toBe(true);
  });
});
