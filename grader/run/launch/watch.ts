/**
 * Watching a launched process from outside: why it stopped (exit, missing Python module, last
 * output), its output lines with when they were read, and waiting for a condition.
 */
import { performance } from 'node:perf_hooks';
import { sleep, waitWithin } from '../../../src/timing/wait.ts';
import { type Launched } from './launch.ts';
import { pythonMissingModule } from '../python/python.ts';

/** `fallback`, with how the process ended and its last output line (or the missing module's fix). */
export function why(l: Launched | undefined, fallback: string): string {
  if (!l) return fallback;
  const missing = pythonMissingModule(l.out.text);
  if (missing) return missing;
  const exited = l.exit ? ` (${l.name} exited with ${l.exit.signal ?? `code ${l.exit.code}`})` : '';
  const tail = l.out.tail(1);
  return `${fallback}${exited}${tail ? `; last output: ${tail}` : ''}`;
}

export interface TimedLine {
  atMs: number;
  line: string;
}

/** Every output line of a process with when it was read (performance.now()), at most 10 000. */
export function timedLines(l: Launched): TimedLine[] {
  const lines: TimedLine[] = [];
  for (const stream of [l.handle.process.stdout, l.handle.process.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: string | Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = (parts.pop() ?? '').slice(-4096);
      for (const line of parts) if (lines.length < 10_000) lines.push({ atMs: performance.now(), line });
    });
  }
  return lines;
}

/** Polls `check` every 100 ms until it returns a value, `stop` returns a reason, or `ms` pass. */
export async function until<T>(ms: number, check: () => T | undefined, stop: () => string | undefined): Promise<T | string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    const reason = stop();
    if (reason) return reason;
    if (Date.now() > deadline) return `timed out after ${Math.round(ms / 1000)} s`;
    await sleep(100);
  }
}

/** The first line matching `re` within `ms`; undefined at once when the program exits first (its output is complete by then). */
export async function lineBeforeExit(l: Launched, re: RegExp, ms: number): Promise<RegExpMatchArray | undefined> {
  const exited = new AbortController();
  void l.handle.exited.then(
    () => exited.abort(),
    () => exited.abort(),
  );
  return l.out.waitForLine(re, ms, { signal: exited.signal });
}

/** Resolves with the exit, or 'timeout' after `ms`. */
export async function exitWithin(l: Launched, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
  const result = await waitWithin(
    l.handle.exited.catch(() => ({ code: -1, signal: null })),
    ms,
  );
  return result.ok ? result.value : 'timeout';
}
