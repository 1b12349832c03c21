/**
 * A vitest reporter that prints ONE line at the end of a run listing every test skipped for want
 * of a system piece (recorded by test/support/requirements.ts into the file at AVSOCK_SKIP_LOG),
 * each with the command that brings it. Prints nothing when nothing was skipped.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Reporter } from 'vitest/reporters';

interface SkipRecord {
  piece: string;
  what: string;
  install: string;
  file: string;
}

/** The summary line for these records (pure, for tests); undefined when there are none. */
export function summarizeSkips(records: readonly SkipRecord[]): string | undefined {
  if (records.length === 0) return undefined;
  const byPiece = new Map<string, { what: string; install: string; files: Set<string> }>();
  for (const r of records) {
    const entry = byPiece.get(r.piece) ?? { what: r.what, install: r.install, files: new Set<string>() };
    entry.files.add(r.file);
    byPiece.set(r.piece, entry);
  }
  const files = new Set(records.map((r) => r.file));
  const parts = [...byPiece.values()].map((e) => `${e.what} (${e.files.size} file${e.files.size === 1 ? '' : 's'}; ${e.install})`);
  return `Skipped for missing system pieces in ${files.size} test file${files.size === 1 ? '' : 's'}: ${parts.join('; ')}`;
}

export function readSkipLog(path: string): SkipRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SkipRecord);
}

export class SkipSummaryReporter implements Reporter {
  readonly #log: string;
  constructor(log: string) {
    this.#log = log;
  }

  onTestRunStart(): void {
    rmSync(this.#log, { force: true });
  }

  onTestRunEnd(): void {
    const line = summarizeSkips(readSkipLog(this.#log));
    rmSync(this.#log, { force: true });
    if (line) process.stdout.write(`\n${line}\n`);
  }
}
