/**
 * npm run grade -- init-class-workflow DIR: copies the class workflow (grader/workflows/grade-class.yml) into
 * DIR/.github/workflows/ and a roster.csv template beside it when DIR has none. An existing
 * workflow of the same name is never overwritten.
 */
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.ts';

export const CLASS_WORKFLOW = new URL('../workflows/grade-class.yml', import.meta.url).pathname;

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

export async function initClassWorkflow(dir: string): Promise<string> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`init-class-workflow ${dir}: not a folder; pass the root of your repo`);
  const target = join(dir, '.github', 'workflows', 'grade-class.yml');
  if (await exists(target)) throw new UsageError(`${target} already exists; delete it first to get the current version`);
  await mkdir(join(dir, '.github', 'workflows'), { recursive: true });
  await copyFile(CLASS_WORKFLOW, target);
  const roster = join(dir, 'roster.csv');
  const made = (await exists(roster)) ? '' : ` and ${roster} (fill in one line per student)`;
  if (made) await writeFile(roster, 'student,repo\nivanov,https://github.com/ivanov/np-lab\n');
  return `wrote ${target}${made}; commit and push, then run "Grade class" from the Actions tab`;
}
