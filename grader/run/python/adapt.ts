/**
 * Adapts a tutorial-style Python script to the grader's loopback ports and clip, on a copy beside
 * it, through grader/run/python/adapt.py (Python's own `ast`, so any spelling of host, port and
 * file name is found; the student's code is parsed, never run). Every change is returned for the
 * report.
 */
import * as v from 'valibot';
import { parseJson, type Schema } from '../../../src/json.ts';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../../../src/process/exec.ts';
import { submissionEnv } from '../launch/launch.ts';

const ADAPT_PY = fileURLToPath(new URL('./adapt.py', import.meta.url));

export interface PythonChange {
  line: number;
  old: string;
  new: string;
  why: string;
}

export interface PythonFacts {
  /** cv2.moveWindow(title, x, y) calls with constant arguments. */
  windows: Array<{ title: string; x: number; y: number }>;
  /** imutils.resize(..., width=W) with a constant W: the width of the pictures shown. */
  resizeWidth: number | null;
  /** Whether the script mentions temp.wav (the tutorial's ffmpeg-extracted sound). */
  writesTempWav: boolean;
  /** No port setting was found: the script cannot be pointed at the grader's port. */
  noPort?: boolean;
}

/** What adapt.py prints: the adapted source, the changes made, the facts read. */
interface AdapterOutput {
  source: string;
  changes: PythonChange[];
  facts: PythonFacts;
  error?: string | undefined;
}

const AdapterOutputSchema: Schema<AdapterOutput> = v.object({
  source: v.string(),
  changes: v.array(v.object({ line: v.number(), old: v.string(), new: v.string(), why: v.string() })),
  // A script that does not parse has no facts ({}): the defaults say "nothing found".
  facts: v.object({
    windows: v.optional(v.array(v.object({ title: v.string(), x: v.number(), y: v.number() })), []),
    resizeWidth: v.optional(v.nullable(v.number()), null),
    writesTempWav: v.optional(v.boolean(), false),
    noPort: v.optional(v.boolean()),
  }),
  error: v.optional(v.string()),
});

export interface AdaptedScript {
  path: string;
  changes: PythonChange[];
  facts: PythonFacts;
  /** The script does not parse (SyntaxError): copied unchanged. */
  error?: string;
}

async function runAdapter(python: string, script: string, port: number, clip: string | undefined): Promise<AdapterOutput> {
  let stdout: string;
  try {
    ({ stdout } = await runProgram(python, [ADAPT_PY, script, String(port), clip ?? ''], {
      timeoutMs: 20_000,
      maxOutputBytes: 16 * 1024 * 1024,
      env: submissionEnv(),
    }));
  } catch (error) {
    const tail = (error as { stderrTail?: string }).stderrTail?.trim().split('\n').pop();
    throw new Error(`cannot read ${basename(script)} with python3's ast: ${tail || (error as Error).message}`, { cause: error });
  }
  return parseJson(stdout, AdapterOutputSchema, `adapt.py's output for ${basename(script)}`);
}

/** Writes `<name>-grader-<tag>.py` beside `script` (same folder, for its relative files). */
export async function adaptPythonScript(python: string, script: string, tag: string, opts: { port: number; clip?: string }): Promise<AdaptedScript> {
  const r = await runAdapter(python, script, opts.port, opts.clip);
  const path = join(dirname(script), `${basename(script, '.py')}-grader-${tag}.py`);
  await writeFile(path, r.source);
  return { path, changes: r.changes, facts: r.facts, ...(r.error ? { error: r.error } : {}) };
}

/** One report line per change: `server.py:24 port 9688 -> 20001 (9688 → 20001)`. */
export function describeChanges(file: string, changes: readonly PythonChange[]): string[] {
  return changes.map((c) => `${file}:${c.line} ${c.why} (${c.old} → ${c.new})`);
}
