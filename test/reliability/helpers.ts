/**
 * Shared by the reliability tests: what Linux's /proc says about the processes they run (RSS, UDP
 * ports; those tests run in the Linux CI job), stack-trace detection and a seeded PRNG. Running the
 * processes themselves is test/support/processes.ts; the portable process queries (`npm run soak`
 * uses them) are src/platform/processes.ts.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Lines of a JavaScript stack trace ("    at f (file:1:2)"): none may reach a user's terminal. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s{4}at /.test(l));
}

// ---- /proc ----

/** Resident set size in KiB, or undefined once the process is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Local UDP ports of the sockets `pid` has open (from /proc/<pid>/fd and /proc/net/udp). */
export function udpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** Seeded PRNG (the relay's mulberry32): a failing run can be replayed with the same seed. */
export { seededRandom as rng } from '../../src/net/random.ts';
