import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatDoctor, runDoctor } from './doctor.ts';

const execFileAsync = promisify(execFile);
const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const cli = join(import.meta.dirname, 'doctor.ts');

describe('doctor', () => {
  it('reports every item in one table, in order', async () => {
    const rows = await runDoctor();
    expect(rows.map((r) => r.item)).toEqual(['Node.js', 'ffmpeg', 'ffprobe', 'Browser', 'Audio', 'Display', 'git', 'Sandbox']);
    expect(rows[0]).toMatchObject({ status: 'ok', required: true });
    for (const row of rows) if (row.status !== 'ok') expect(row.fix, row.item).toBeTruthy();
    expect(formatDoctor(rows).split('\n').length).toBeGreaterThanOrEqual(rows.length);
  });

  it('exits 1 and prints the fix when a required tool is missing', async () => {
    const failed = await execFileAsync(tsx, [cli], { env: { ...process.env, FFMPEG_PATH: '/nonexistent/ffmpeg' } }).then(
      () => undefined,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toMatch(/ffmpeg\s+MISSING/);
    expect(failed?.stdout).toContain('fix: FFMPEG_PATH=/nonexistent/ffmpeg does not run');
    expect(failed?.stdout).toContain('Missing required: ffmpeg.');
  });
});
