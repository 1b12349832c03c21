/**
 * Stopping a child together with everything it started (a shell's children, Chromium's helpers,
 * ffmpeg under a wrapper), per OS:
 *
 * - POSIX (Linux, macOS): the child is spawned `detached`, which makes it the leader of a new
 *   process group (setsid); `kill(-pid, sig)` signals the whole group, and `kill(-pid, 0)` tells
 *   whether any member is left.
 * - Windows: there are no signals or process groups to signal. `taskkill /PID pid /T` ends the
 *   tree (the child and its descendants, found by parent pid); `/F` forces it. SIGINT maps to the
 *   polite form (WM_CLOSE, which GUI programs such as Chromium honour), SIGTERM and SIGKILL to /F.
 *
 * The platform is a parameter so every branch is tested on any OS.
 */
import { spawnSync } from 'node:child_process';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';

/** What to do to stop a tree: signal a POSIX group, signal one process, or run a command. */
export type KillPlan =
  | { readonly kind: 'group'; readonly pid: number; readonly signal: StopSignal }
  | { readonly kind: 'process'; readonly pid: number; readonly signal: StopSignal }
  | { readonly kind: 'command'; readonly command: string; readonly args: readonly string[] };

/** Whether `spawn` should get `detached: true` so the child leads its own group (POSIX only: on Windows it would open a console). */
export function spawnsOwnGroup(platform: NodeJS.Platform, wantTree: boolean): boolean {
  return wantTree && platform !== 'win32';
}

export function killPlan(platform: NodeJS.Platform, pid: number, signal: StopSignal, tree: boolean): KillPlan {
  if (!tree) return { kind: 'process', pid, signal };
  if (platform === 'win32') {
    const args = ['/PID', String(pid), '/T'];
    if (signal !== 'SIGINT') args.push('/F');
    return { kind: 'command', command: 'taskkill', args };
  }
  return { kind: 'group', pid, signal };
}

export interface KillOps {
  kill(pid: number, signal: NodeJS.Signals | 0): void;
  /** Runs a command to completion (synchronously: this is also used from process 'exit' handlers). */
  run(command: string, args: readonly string[]): void;
}

const realOps: KillOps = {
  kill: (pid, signal) => process.kill(pid, signal),
  run: (command, args) => {
    spawnSync(command, [...args], { stdio: 'ignore', windowsHide: true, timeout: 10_000 });
  },
};

/** Carries out a plan; a process already gone (ESRCH) is not an error. */
export function applyKillPlan(plan: KillPlan, ops: KillOps = realOps): void {
  try {
    if (plan.kind === 'group') ops.kill(-plan.pid, plan.signal);
    else if (plan.kind === 'process') ops.kill(plan.pid, plan.signal);
    else ops.run(plan.command, plan.args);
  } catch {
    // ESRCH: already gone.
  }
}

/** Stops `pid` (and its tree when `tree`) with `signal`, the way this OS does it. */
export function killTree(pid: number, signal: StopSignal, tree: boolean, platform: NodeJS.Platform = process.platform, ops: KillOps = realOps): void {
  applyKillPlan(killPlan(platform, pid, signal, tree), ops);
}

/**
 * Whether anything of the tree is left. POSIX: any member of the group (kill(-pid, 0)). Windows:
 * the leader only — the OS keeps no group to ask, and taskkill /T has already ended the rest.
 */
export function treeAlive(pid: number, platform: NodeJS.Platform = process.platform, ops: Pick<KillOps, 'kill'> = realOps): boolean {
  try {
    ops.kill(platform === 'win32' ? pid : -pid, 0);
    return true;
  } catch {
    return false;
  }
}
