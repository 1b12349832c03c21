/** Building the Dockerfile into the grader's image, with the engine's layer cache. */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { engineOutput, runEngine, type Engine } from './engine.ts';
import { ensureLocalBase } from './local-base.ts';

export const IMAGE_NAME = 'avsock-grader';
const ROOT = join(import.meta.dirname, '..', '..');

export interface BuiltImage {
  readonly tag: string;
  readonly base: string;
  /** The image's size as the engine reports it (all layers, uncompressed). */
  readonly bytes: number;
  /** Wall time of this build, the local base included when it was made. */
  readonly seconds: number;
}

export async function buildImage(
  engine: Engine,
  opts: { localBase: boolean; rebuildBase?: boolean; tag?: string; log?: (line: string) => void; quiet?: boolean },
): Promise<BuiltImage> {
  const started = performance.now();
  const tag = opts.tag ?? IMAGE_NAME;
  const base = opts.localBase
    ? await ensureLocalBase(engine, { rebuild: Boolean(opts.rebuildBase), ...(opts.log ? { log: opts.log } : {}) })
    : 'node:20-bookworm-slim';
  // --network host: apt-get and npm ci reach the mirrors (the default bridge network fails where
  // podman cannot make one, as on hosts without netavark's firewall rules).
  const args = ['build', '--network', 'host', ...engine.limits, '--build-arg', `BASE_IMAGE=${base}`, '-t', tag, '-f', join(ROOT, 'Dockerfile')];
  // The local base exists only here: never look for it in a registry.
  if (engine.command === 'podman') args.push('--layers', ...(opts.localBase ? ['--pull=never'] : []));
  await runEngine(engine, [...args, ROOT], { quiet: Boolean(opts.quiet) });
  const bytes = Number(await engineOutput(engine, ['image', 'inspect', '--format', '{{.Size}}', tag]));
  return { tag, base, bytes, seconds: (performance.now() - started) / 1000 };
}
