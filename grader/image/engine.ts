/**
 * The container engine that builds and runs the grader's image: podman (rootful here) or Docker,
 * with the options this host needs. One place knows them, so the image script, the container test
 * and the Gradescope run start containers the same way.
 */
import { existsSync } from 'node:fs';
import { EnvironmentError } from '../../src/errors.ts';
import { startChild } from '../../src/process/children.ts';
import { which } from '../../src/platform/which.ts';
import { linuxHardLimit, linuxPidMax } from '../../src/platform/processes.ts';

export interface Engine {
  /** `podman` or `docker`. */
  readonly command: string;
  /** Options before the subcommand (podman's runtime and cgroup manager). */
  readonly global: readonly string[];
  /** Options every `run` and `build` takes on this host (ulimits the kernel allows). */
  readonly limits: readonly string[];
}

/**
 * podman on a cgroup v1 (or hybrid) host: crun refuses ("cgroups in hybrid mode not supported"),
 * runc with the cgroupfs manager works. cgroup v2 hosts keep podman's defaults.
 */
function podmanGlobals(): string[] {
  const unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
  if (unified) return [];
  if (!which('runc')) throw new EnvironmentError('E_TOOL_MISSING', 'podman on a cgroup v1 host needs runc (crun refuses): apt install runc');
  return ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
}

/** podman if installed, else docker; `prefer` (or AVSOCK_ENGINE=podman|docker) picks one. */
export function findEngine(prefer?: 'podman' | 'docker'): Engine {
  const env = process.env.AVSOCK_ENGINE;
  if (!prefer && env !== undefined && env !== 'podman' && env !== 'docker')
    throw new EnvironmentError('E_USAGE', `AVSOCK_ENGINE=${env}: use podman or docker, or unset it`);
  const chosen = prefer ?? (env as 'podman' | 'docker' | undefined);
  const order = chosen ? [chosen] : (['podman', 'docker'] as const);
  for (const command of order) {
    if (!which(command)) continue;
    const nofile = linuxHardLimit('Max open files');
    // runc here refused nproc above ≈ 32720 with pid_max 32768 although the hard limit is 96367:
    // stay well below the pid space; a grading container runs a few hundred processes at most.
    const nproc = Math.min(linuxHardLimit('Max processes') ?? Infinity, Math.floor(linuxPidMax() / 2));
    const limits =
      command === 'podman'
        ? [...(nofile ? ['--ulimit', `nofile=${nofile}:${nofile}`] : []), ...(Number.isFinite(nproc) ? ['--ulimit', `nproc=${nproc}:${nproc}`] : [])]
        : [];
    return { command, global: command === 'podman' ? podmanGlobals() : [], limits };
  }
  throw new EnvironmentError('E_TOOL_MISSING', `no container engine: install ${chosen ?? 'podman'} (apt install podman buildah runc) or Docker`);
}

/** Runs `engine args…` with its output shown; rejects with the last lines of stderr on failure. */
export async function runEngine(engine: Engine, args: readonly string[], opts: { quiet?: boolean } = {}): Promise<void> {
  const child = startChild(engine.command, [...engine.global, ...args], {
    name: `${engine.command} ${args[0] ?? ''}`,
    stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', 'pipe'],
  });
  if (!opts.quiet) child.process.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  await child.done;
}

/** `engine args…`'s stdout (trimmed); rejects on a non-zero exit. */
export async function engineOutput(engine: Engine, args: readonly string[]): Promise<string> {
  const child = startChild(engine.command, [...engine.global, ...args], { name: `${engine.command} ${args[0] ?? ''}` });
  let out = '';
  child.process.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  await child.done;
  return out.trim();
}

/** True when the engine has an image of this name. */
export async function hasImage(engine: Engine, name: string): Promise<boolean> {
  return engineOutput(engine, ['image', 'inspect', '--format', '{{.Id}}', name]).then(
    () => true,
    () => false,
  );
}

/** Runs `engine args…` to its end: exit code and output (stdout then stderr, capped by the caller's use). */
export async function engineRun(engine: Engine, args: readonly string[]): Promise<{ code: number; output: string }> {
  const child = startChild(engine.command, [...engine.global, ...args], { name: `${engine.command} ${args[0] ?? ''}`, stderrLines: 200 });
  let out = '';
  child.process.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exit = await child.exited;
  return { code: exit.code ?? -1, output: `${out}${child.stderrTail()}` };
}
