/**
 * `npm run grade -- gradescope-package FILE.zip`: the autograder zip Gradescope expects. Its root
 * holds setup.sh (run once on Gradescope's Ubuntu image) and run_autograder (run per submission);
 * beside them, the grader itself (package.json, package-lock.json, src/, grader/) — Gradescope
 * unpacks the zip into /autograder/source, and run_autograder grades /autograder/submission from there.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.ts';
import { zip, type ZipEntry } from './zip.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const GRADER_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What of the checkout the grader needs to run (its reference server is this template's own). */
const INCLUDE = ['package.json', 'package-lock.json', 'tsconfig.json', '.puppeteerrc.cjs', 'src', 'grader'];
/** Never shipped: installed or made at run time, or only for this repo's own tests. */
const SKIP = new Set(['node_modules', '.cache', 'reports', 'screenshots', '.git']);

async function walk(root: string, rel: string, out: ZipEntry[]): Promise<void> {
  const abs = join(root, rel);
  const st = await stat(abs).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    for (const e of (await readdir(abs)).sort()) if (!SKIP.has(e)) await walk(root, join(rel, e), out);
    return;
  }
  // Tests and documentation do not run on Gradescope (and a zip that changes only with the code keeps setup's image).
  if (!st.isFile() || rel.endsWith('.test.ts') || rel.endsWith('.md')) return;
  out.push({ name: rel.split(sep).join('/'), data: await readFile(abs), mode: st.mode & 0o111 ? 0o755 : 0o644 });
}

export async function gradescopeEntries(root = GRADER_ROOT): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [
    { name: 'setup.sh', data: await readFile(join(HERE, 'setup.sh')), mode: 0o755 },
    { name: 'run_autograder', data: await readFile(join(HERE, 'run_autograder')), mode: 0o755 },
  ];
  for (const p of INCLUDE) await walk(root, p, entries);
  return entries;
}

export async function writeGradescopePackage(file: string): Promise<string> {
  if (!file.toLowerCase().endsWith('.zip')) throw new UsageError(`gradescope-package ${file}: the file name must end in .zip (Gradescope takes a zip)`);
  const entries = await gradescopeEntries();
  const bytes = zip(entries);
  await writeFile(file, bytes).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${file}: ${error.code ?? error.message}; pick a folder you can write to`);
  });
  return `wrote ${file} (${entries.length} files, ${(bytes.length / 1024).toFixed(0)} KiB): upload it as the autograder in Gradescope's "Configure Autograder" (Ubuntu image; setup.sh installs the rest)`;
}
