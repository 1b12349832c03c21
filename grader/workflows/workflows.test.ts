/**
 * Every workflow file in the repo (.github/workflows/*.yml, grader/workflows/*.yml) against GitHub's
 * own workflow schema, with GitHub's parser (@actions/workflow-parser, offline), plus what the class
 * workflow must do: roster → a matrix job per student with max-parallel → artifacts → collect.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDir } from '../testing/fixtures.ts';
import { CLASS_WORKFLOW, initClassWorkflow } from '../class/workflow.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DIRS = ['.github/workflows', 'grader/workflows'];

async function workflowFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const d of DIRS) for (const f of await readdir(join(ROOT, d)).catch(() => [])) if (/\.ya?ml$/.test(f)) files.push(join(d, f));
  return files;
}

/** GitHub's parse + conversion errors for one workflow text ([] = valid). */
async function schemaErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value && errors.length === 0) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return errors;
}

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('workflow files', async () => {
  const files = await workflowFiles();
  it('include the CI and the class workflow', () => {
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', 'grader/workflows/grade-class.yml']));
  });
  it.each(files)("%s passes GitHub's workflow schema", async (file) => {
    expect(await schemaErrors(file, await readFile(join(ROOT, file), 'utf8'))).toEqual([]);
  });
  it('the validator rejects what GitHub would (a misspelt key, a job without runs-on)', async () => {
    expect((await schemaErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n')).join()).toMatch(/stepz/);
    expect((await schemaErrors('bad.yml', 'on: push\njobs:\n  a:\n    steps:\n      - run: true\n')).length).toBeGreaterThan(0);
  });
});

describe('grader/workflows/grade-class.yml', () => {
  interface Job {
    needs?: string | string[];
    if?: string;
    strategy?: { 'max-parallel'?: number; matrix?: { include?: string } };
    steps: Array<{ uses?: string; run?: string; with?: Record<string, string> }>;
  }
  const load = async (): Promise<{ jobs: Record<string, Job> }> => parse(await readFile(CLASS_WORKFLOW, 'utf8')) as { jobs: Record<string, Job> };
  it('reads the roster into a matrix of one job per student, bounded by max-parallel, each uploading its report', async () => {
    const { jobs } = await load();
    expect(jobs.grade!.needs).toBe('roster');
    expect(jobs.grade!.strategy!.matrix!.include).toMatch(/fromJSON\(needs\.roster\.outputs\.students\)/);
    expect(jobs.grade!.strategy!['max-parallel']).toBeGreaterThan(0);
    expect(jobs.grade!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!.with!.name).toBe('report-${{ matrix.student }}');
    expect(jobs.grade!.steps.map((s) => s.run ?? '').join('\n')).toContain('bubblewrap');
  });
  it('ends with a job that collects every report into gradebook.csv, even when some jobs failed', async () => {
    const { jobs } = await load();
    expect(jobs.gradebook!.needs).toBe('grade');
    expect(jobs.gradebook!.if).toBe('always()');
    expect(jobs.gradebook!.steps.map((s) => s.run ?? '').join('\n')).toContain('npm run grade -- collect reports --out gradebook.csv');
  });
  it('init-class-workflow copies it with a roster template, and never overwrites one', async () => {
    const dir = await tempDir('avsock-init-wf-');
    made.push(dir);
    expect(await initClassWorkflow(dir)).toMatch(/grade-class.yml and .*roster.csv/);
    expect(await readFile(join(dir, '.github', 'workflows', 'grade-class.yml'), 'utf8')).toBe(await readFile(CLASS_WORKFLOW, 'utf8'));
    expect(await readFile(join(dir, 'roster.csv'), 'utf8')).toMatch(/^student,repo\n/);
    await expect(initClassWorkflow(dir)).rejects.toThrow(/already exists/);
    await expect(initClassWorkflow(join(dir, 'missing'))).rejects.toThrow(/not a folder/);
  });
});
