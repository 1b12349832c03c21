/**
 * Whether this machine can sandbox other people's code with bubblewrap (what `npm run doctor`
 * reports and the grader's --class/--practice require): tried for real, since a bwrap that exists
 * may still be refused a namespace (Ubuntu 24.04's AppArmor, a container without privileges).
 * The sandbox itself is the grader's; this is only the question asked about the machine.
 *
 * May import: src/platform/.
 */
import { spawnSync } from 'node:child_process';
import { which } from './which.ts';

export interface SandboxSupport {
  ok: boolean;
  mode: 'root' | 'user';
  /** Why not (one line), when !ok. */
  reason?: string;
  /** How to get one. */
  fix?: string;
}

export const SANDBOX_FIX =
  'install bubblewrap (apt-get install bubblewrap) or grade in the container image (docker build -t avsock-grader . && docker run --rm -v "$PWD/class:/class" avsock-grader --class /class)';

const isRoot = (): boolean => typeof process.geteuid === 'function' && process.geteuid() === 0;

/** The netns holder: loopback only (bwrap brings `lo` up), nothing of the file system needed. */
export function sandboxHolderArgs(mode: 'root' | 'user'): string[] {
  return [...(mode === 'user' ? ['--unshare-user'] : []), '--unshare-net', '--ro-bind', '/', '/', '--die-with-parent'];
}

/** What detectSandbox() found, asked once per process (the answer does not change while it runs). */
const found: { support?: SandboxSupport } = {};

/**
 * Whether a sandbox can be made here, tried for real once per process. Synchronous on purpose: it
 * runs before any timing starts (the grader's start, the doctor's table).
 */
export function detectSandbox(opts: { refresh?: boolean } = {}): SandboxSupport {
  if (found.support && !opts.refresh) return found.support;
  found.support = probe();
  return found.support;
}

function probe(): SandboxSupport {
  const mode = isRoot() ? 'root' : 'user';
  const no = (reason: string, fix = SANDBOX_FIX): SandboxSupport => ({ ok: false, mode, reason, fix });
  if (process.platform !== 'linux')
    return no(
      `no sandbox on ${process.platform} (bubblewrap is Linux-only)`,
      'grade in the container image (docker build -t avsock-grader . && docker run --rm -v "$PWD/class:/class" avsock-grader --class /class)',
    );
  for (const tool of ['bwrap', 'nsenter', 'prlimit', ...(mode === 'root' ? ['setpriv'] : [])]) {
    if (!which(tool)) return no(`${tool} not found`, tool === 'bwrap' ? SANDBOX_FIX : 'install util-linux');
  }
  const trial = spawnSync('bwrap', [...sandboxHolderArgs(mode), '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (trial.status !== 0) {
    const err = (trial.stderr || trial.error?.message || `exit ${trial.status}`).trim().split('\n').pop()!;
    const userns = /namespace|uid map|Operation not permitted|Permission denied/i.test(err);
    return no(
      `bwrap cannot create namespaces here (${err})`,
      userns
        ? 'allow unprivileged user namespaces (Ubuntu 24.04: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for bwrap), or grade in the container image'
        : SANDBOX_FIX,
    );
  }
  return { ok: true, mode };
}
