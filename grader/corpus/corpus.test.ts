/**
 * Grades every variant of the corpus (variants.ts) and compares each rubric item with the verdict
 * declared there before the run. Several variants are graded at once (--jobs style): only one is in
 * a timing phase at a time (run/launch/timing-slot.ts), the others prepare, screenshot or check meanwhile.
 * Short windows (5 s server, 4 s client) keep it to a few minutes; the whole-window and stall rules
 * do not change with the window's length.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { need } from '../../test/support/requirements.ts';
import { gradeSubmission } from '../grade.ts';
import type { GradeReport } from '../report/types.ts';
import { writeReports } from '../report/writers.ts';
import { loadRubric } from '../score/rubric.ts';
import { fairVerdict, makeVariant, VARIANTS, type ItemId, type Variant } from './variants.ts';

const missing = await need('python-opencv', 'xvfb', 'browser', 'ffmpeg');
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** Parallel gradings: prepare and checks overlap; timing phases and screenshots take turns. */
const JOBS = 2;

/**
 * Items whose figure is a timing (fps within ±1 %, jitter p99 within 5 ms …). With another core's
 * worth of work on a 2-core machine — how CI runs this suite — a Python server's sleep-paced loop
 * reads 1–4 % slow while nothing in it changed, so there they measure the machine: they are
 * reported, not compared. AVSOCK_CORPUS_TIMING=strict compares them too (a quiet machine), and a
 * run the grader flags as disturbed is never compared on them.
 */
const STRICT_TIMING = process.env.AVSOCK_CORPUS_TIMING === 'strict';
const TIMING_ITEMS: ReadonlySet<ItemId> = new Set(['server.fps', 'server.jitter', 'server.drift', 'server.freezes', 'server.avsync', 'client.fps']);

async function gradeAll(root: string, keep: boolean): Promise<Map<string, GradeReport>> {
  const reports = new Map<string, GradeReport>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < VARIANTS.length; i = next++) {
      const v = VARIANTS[i]!;
      const repo = join(root, v.name);
      await makeVariant(v, repo);
      const out = join(root, `${v.name}-report`);
      const report = await gradeSubmission({ repo, out, seconds: 5, clientSeconds: 4, noSave: true, startTimeoutMs: 40_000 });
      if (keep) await writeReports(report, { json: join(out, 'report.json'), markdown: join(out, 'report.md') });
      reports.set(v.name, report);
    }
  };
  await Promise.all(Array.from({ length: JOBS }, worker));
  return reports;
}

function compare(v: Variant, r: GradeReport, skipped: string[]): string[] {
  const wrong: string[] = [];
  for (const [id, verdict] of Object.entries(v.expected) as Array<[ItemId, Variant['expected'][ItemId]]>) {
    const item = r.checks.find((c) => c.id === id);
    if (!item) {
      wrong.push(`${v.name} ${id}: not in the report`);
      continue;
    }
    if (item.status === fairVerdict(verdict) || typeof verdict !== 'string') continue;
    if (TIMING_ITEMS.has(id) && (!STRICT_TIMING || r.machine?.disturbed)) {
      const why = r.machine?.disturbed ? `a disturbed run (${r.machine.reason})` : 'a run without AVSOCK_CORPUS_TIMING=strict';
      skipped.push(`${v.name} ${id}: expected ${verdict}, got ${item.status} on ${why} — ${item.message}`);
      continue;
    }
    wrong.push(`${v.name} ${id}: expected ${verdict}, got ${item.status} — ${item.message}`);
  }
  return wrong;
}

describe.skipIf(missing)('the corpus of student variants', () => {
  it('grades every variant item by item as declared before the run', async () => {
    const rubric = await loadRubric();
    // AVSOCK_CORPUS_OUT=DIR keeps the variants and their reports there (the table is in DIR/table.md).
    const keep = process.env.AVSOCK_CORPUS_OUT;
    const root = keep ? await mkdtemp(join(keep, 'corpus-')) : await mkdtemp(join(tmpdir(), 'avsock-corpus-'));
    if (!keep) made.push(root);
    const t0 = Date.now();
    const reports = await gradeAll(root, Boolean(keep));
    const wrong: string[] = [];
    const skipped: string[] = [];
    const rows: string[] = [];
    for (const v of VARIANTS) {
      const r = reports.get(v.name)!;
      const fair = rubric.items.reduce((s, it) => s + (fairVerdict(v.expected[it.id as ItemId] ?? 'fail') === 'pass' ? it.points : 0), 0);
      rows.push(`| ${v.name} | ${r.score} | ${fair} | ${r.durationS.toFixed(1)} s | ${r.machine?.disturbed ? `disturbed: ${r.machine.reason}` : 'quiet'} |`);
      wrong.push(...compare(v, r, skipped));
    }
    const table = ['| variant | grade | fair grade | wall | machine |', '|---|---:|---:|---:|---|', ...rows].join('\n');
    const summary = `corpus: ${VARIANTS.length} variants in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${wrong.length} item(s) off:\n${wrong.join('\n')}\ntiming items not compared (see TIMING_ITEMS): ${skipped.length}\n${skipped.join('\n')}`;
    console.log(`${table}\n${summary}`);
    if (keep) await writeFile(join(root, 'table.md'), `${table}\n\n${summary}\n`);
    expect(wrong).toEqual([]);
  }, 1_200_000);
});
