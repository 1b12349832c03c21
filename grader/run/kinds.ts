/**
 * A submission and how to run it, through its command line only (the grader never imports a
 * submission's code, so it grades exactly what a user runs). Each kind knows its own commands:
 *
 * - node: a package.json with "server" and "client" scripts (this template and its forks), run with
 *   `npm run server|client -- …`. In place when node_modules exists; otherwise in a temp copy where
 *   `npm ci` runs (bounded).
 * - python: the tutorial's server.py / client.py, run with python3 on a temp copy; each run gets a
 *   copy of the script pointed at loopback, that run's ports and the grader's clip (python-adapt.ts).
 *
 * Temporary copies are deleted by cleanup(), which the grader calls when grading ends.
 *
 * Folder grader/run/: launch/ (starting and watching processes, ports, the timing slot), sandbox/
 * (bubblewrap), python/ (the tutorial's python3), this file (what each kind runs) and reference.ts.
 * May import: src/, grader/measure/ (types).
 */
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { WireName } from '../../src/wire/index.ts';
import type { StreamPorts } from './launch/ports.ts';
import { nodeServerArgs } from './reference.ts';
import { adaptPythonScript, describeChanges, type PythonFacts } from './python/adapt.ts';
import { SubmissionSandbox, type CommandWrap } from './sandbox/sandbox.ts';
import { detectKind, launch, runBounded, type Launched } from './launch/launch.ts';
import { pythonCommand, resolvePythonAsync } from './python/python.ts';

export interface ServerStart {
  clip: string;
  ports: StreamPorts;
  wire?: WireName;
  /** X display for the OpenCV windows (Python). */
  display?: string;
}

export interface ClientStart {
  ports: StreamPorts;
  wire?: WireName;
  display?: string;
  /** Extra environment (Python: the ALSA file sink that records what it plays). */
  env?: Record<string, string>;
  /** measure: run for `seconds` and write `statsFile` (Node); window: keep running and serve a page on uiPort. */
  mode: { kind: 'measure'; seconds: number; statsFile: string } | { kind: 'window'; uiPort: number };
}

interface Common {
  /** The repo as given. */
  readonly repo: string;
  /** Where it runs (the repo itself, or a temp copy). */
  readonly workDir: string;
  /** Every change the grader made to the copy, one line each (for the report). */
  readonly changes: string[];
  startServer(s: ServerStart): Promise<Launched>;
  startClient(c: ClientStart): Promise<Launched>;
  /** Deletes the temp copy, if any (idempotent). */
  cleanup(): Promise<void>;
  /** Set by the grader when this submission's processes run in a sandbox (grader/run/sandbox/sandbox.ts). */
  sandbox?: SubmissionSandbox;
}

export interface NodeSubmission extends Common {
  readonly kind: 'node';
}

export interface PythonSubmission extends Common {
  readonly kind: 'python';
  readonly server: string;
  readonly client?: string;
  /** What adapt.py read from server.py (window positions, picture width), once it ran. */
  readonly facts: PythonFacts | undefined;
  /** The same, read from client.py. */
  readonly clientFacts: PythonFacts | undefined;
}

export type Submission = NodeSubmission | PythonSubmission;

/** launch() options that run a submission's process in its sandbox, when it has one. */
function inSandbox(sub: { sandbox?: SubmissionSandbox }): { wrap?: CommandWrap } {
  return sub.sandbox ? { wrap: sub.sandbox.untrusted() } : {};
}

async function copyRepo(repo: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `avsock-grade-${basename(repo)}-`));
  await cp(repo, dir, {
    recursive: true,
    filter: (src) => !['node_modules', '.git', '.cache', 'reports'].includes(basename(src)),
  });
  return dir;
}

function remover(repo: string, workDir: string): () => Promise<void> {
  return async () => {
    if (workDir !== repo) await rm(workDir, { recursive: true, force: true });
  };
}

function nodeSubmission(repo: string, workDir: string, changes: string[]): NodeSubmission {
  const sub: NodeSubmission = {
    kind: 'node',
    repo,
    workDir,
    changes,
    startServer: async (s) => launch('server', 'npm', nodeServerArgs(s.clip, s.ports, s.wire), { cwd: workDir, ...inSandbox(sub) }),
    startClient: async (c) => {
      const args = [
        'run',
        'client',
        '--',
        '--host',
        '127.0.0.1',
        '--port',
        String(c.ports.videoPort),
        '--audio-port',
        String(c.ports.audioPort),
        '--no-window',
      ];
      if (c.mode.kind === 'measure') args.push('--duration', String(c.mode.seconds), '--stats', c.mode.statsFile);
      else args.push('--duration', '60', '--ui-port', String(c.mode.uiPort));
      if (c.wire) args.push('--wire', c.wire);
      return launch('client', 'npm', args, { cwd: workDir, ...inSandbox(sub) });
    },
    cleanup: remover(repo, workDir),
  };
  return sub;
}

class Python implements PythonSubmission {
  readonly kind = 'python';
  facts: PythonFacts | undefined;
  clientFacts: PythonFacts | undefined;
  sandbox?: SubmissionSandbox;
  readonly #described = new Set<string>();
  constructor(
    readonly repo: string,
    readonly workDir: string,
    readonly server: string,
    readonly client: string | undefined,
    readonly changes: string[],
    readonly python: string,
  ) {}

  async #run(
    name: 'server.py' | 'client.py',
    script: string,
    port: number,
    opts: { clip?: string; display?: string; env?: Record<string, string> },
  ): Promise<Launched> {
    const adapted = await adaptPythonScript(this.python, script, String(port), { port, ...(opts.clip ? { clip: opts.clip } : {}) });
    if (name === 'server.py') this.facts ??= adapted.facts;
    else this.clientFacts ??= adapted.facts;
    if (!this.#described.has(name)) {
      this.#described.add(name);
      const rel = script.slice(this.workDir.length + 1);
      const lines = describeChanges(rel, adapted.changes);
      this.changes.push(...(lines.length ? lines : [`${rel}: nothing to change${adapted.error ? ` (${adapted.error})` : ''}`]));
      if (adapted.facts.noPort) this.changes.push(`${rel}: no port setting found; it runs on its own port and the grader cannot reach it`);
    }
    const { command, args } = pythonCommand(adapted.path, { ...(opts.display ? { display: opts.display } : {}), ...(opts.env ? { env: opts.env } : {}) });
    return launch(name, command, args, { cwd: dirname(adapted.path), ...inSandbox(this) });
  }

  startServer(s: ServerStart): Promise<Launched> {
    return this.#run('server.py', this.server, s.ports.videoPort, { clip: s.clip, ...(s.display ? { display: s.display } : {}) });
  }

  startClient(c: ClientStart): Promise<Launched> {
    if (!this.client) return Promise.reject(new Error('no client.py beside server.py'));
    return this.#run('client.py', this.client, c.ports.videoPort, { ...(c.display ? { display: c.display } : {}), ...(c.env ? { env: c.env } : {}) });
  }

  cleanup(): Promise<void> {
    return remover(this.repo, this.workDir)();
  }
}

export type Prepared = { ok: true; submission: Submission } | { ok: false; reason: string };

async function prepareNode(root: string, onEvent?: (m: string) => void, sandboxed = false): Promise<Prepared> {
  if (existsSync(join(root, 'node_modules'))) return { ok: true, submission: nodeSubmission(root, root, []) };
  const dir = await copyRepo(root);
  onEvent?.(`no node_modules: npm ci in a temp copy (${dir})`);
  const hasLock = existsSync(join(dir, 'package-lock.json'));
  const cmd = hasLock ? 'ci' : 'install';
  // Install scripts are the submission's code too: sandboxed, but with the host's network (the registry).
  const box = sandboxed ? await SubmissionSandbox.open({ writable: [dir], readable: [], hostNetwork: true }) : undefined;
  const r = await runBounded(`npm ${cmd}`, 'npm', [cmd, '--no-audit', '--no-fund'], {
    cwd: dir,
    timeoutMs: 300_000,
    ...(box ? { wrap: box.untrusted() } : {}),
  }).finally(() => box?.close());
  const sub = nodeSubmission(root, dir, [`copied to ${dir} and ran npm ${cmd} there (the repo has no node_modules)`]);
  if (r.code !== 0) {
    await sub.cleanup();
    return { ok: false, reason: `npm ${cmd} failed (exit ${r.code}): ${r.output.split('\n').pop()}` };
  }
  return { ok: true, submission: sub };
}

async function preparePython(root: string, server: string, client: string | undefined): Promise<Prepared> {
  const python = (await resolvePythonAsync()).command;
  const dir = await copyRepo(root);
  const rel = (p: string): string => join(dir, p.slice(root.length));
  const changes: string[] = [];
  // The tutorial extracts temp.wav with ffmpeg, which will not overwrite a committed one when its
  // stdin is closed: the stale file would be streamed instead of the grader's clip.
  const wav = join(dirname(rel(server)), 'temp.wav');
  if (existsSync(wav)) {
    await rm(wav, { force: true });
    changes.push(
      `${wav.slice(dir.length + 1)}: removed a committed temp.wav from the copy (ffmpeg would not overwrite it, and its stale sound would be streamed instead of the clip's)`,
    );
  }
  return { ok: true, submission: new Python(root, dir, rel(server), client ? rel(client) : undefined, changes, python) };
}

/** Readies a submission to run without changing the original (see the header). */
export async function prepareSubmission(repo: string, opts: { onEvent?: (m: string) => void; sandbox?: boolean } = {}): Promise<Prepared> {
  const root = resolve(repo);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) return { ok: false, reason: `${root} is not a folder` };
  const found = await detectKind(root);
  if (found.kind === 'node') return prepareNode(root, opts.onEvent, opts.sandbox);
  if (found.kind === 'python' && found.python) return preparePython(root, found.python.server, found.python.client);
  return { ok: false, reason: `${root} is neither a Node submission (package.json with server and client scripts) nor a tutorial one (server.py)` };
}
