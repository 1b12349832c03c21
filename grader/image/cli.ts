/**
 * npm run image -- [options]: builds the grader's container image from the Dockerfile, on the
 * official Node base or (--local-base) on one made here without any registry image.
 */
import { UsageError } from '../../src/errors.ts';
import { stopAllChildren } from '../../src/process/children.ts';
import { choiceOption, parseOptions, runMain } from '../../src/cli/main.ts';
import { findEngine } from './engine.ts';
import { buildImage, IMAGE_NAME } from './build.ts';

const HELP = `npm run image -- [options]

Builds the grader's container image (Dockerfile) with podman or Docker; built layers are reused.
  --local-base         build on a Debian 12 + Node 20 base made here (mmdebstrap, Node from the npm
                       registry, root): for machines that cannot pull node:20-bookworm-slim
  --rebuild-base       make the local base again even if it exists
  --tag NAME           image name (default ${IMAGE_NAME})
  --engine podman|docker  (default: podman if installed, else docker)
  --help`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(
    'image',
    argv,
    {
      'local-base': { type: 'boolean' },
      'rebuild-base': { type: 'boolean' },
      tag: { type: 'string' },
      engine: { type: 'string' },
      help: { type: 'boolean' },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; see npm run image -- --help`);
  const engine = findEngine(values.engine === undefined ? undefined : choiceOption('engine', values.engine, ['podman', 'docker'] as const, 'podman'));
  try {
    const built = await buildImage(engine, {
      localBase: Boolean(values['local-base']),
      rebuildBase: Boolean(values['rebuild-base']),
      tag: values.tag ?? IMAGE_NAME,
    });
    process.stdout.write(`${built.tag}: ${(built.bytes / 1e6).toFixed(0)} MB, built in ${built.seconds.toFixed(0)} s on ${built.base}\n`);
    return 0;
  } finally {
    await stopAllChildren();
  }
}

runMain('image', main);
