/**
 * npm run practice -- add PATH [--name NAME]
 * Adds this repository (by its origin URL, at its pushed HEAD) as a submodule of the practice repo at PATH.
 */
import { UsageError } from '../errors.ts';
import { addToPractice } from '../practice/add.ts';
import { parseOptions, runMain } from './main.ts';

const HELP = `Usage: npm run practice -- add PATH [--name NAME]

Adds this repository, by its origin URL and at its pushed HEAD, as a submodule of your practice
repository at PATH (for example ../Surname-fa-np-practice), commits there, and prints what to push.
Run it again after pushing new work: it moves the submodule to the new HEAD.

  --name NAME   folder inside the practice repo (default: this repo's name on GitHub)
  --help        this text
`;

runMain('practice', async (argv) => {
  const { values, positionals } = parseOptions('practice', argv, { name: { type: 'string' }, help: { type: 'boolean' }, debug: { type: 'boolean' } }, true);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [command, path, ...extra] = positionals;
  if (command !== 'add') throw new UsageError(`unknown or missing command "${command ?? ''}"; usage: npm run practice -- add PATH [--name NAME]`);
  if (!path) throw new UsageError('missing PATH; usage: npm run practice -- add ../Surname-fa-np-practice');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"; usage: npm run practice -- add PATH [--name NAME]`);
  const result = await addToPractice({ repo: process.cwd(), practice: path, ...(values.name ? { name: values.name } : {}) });
  const short = result.commit.slice(0, 7);
  const what =
    result.action === 'added'
      ? `Added ${result.url} at ${short} as ${result.path}/ in ${result.practiceTop} and committed there.`
      : result.action === 'updated'
        ? `Moved ${result.path}/ in ${result.practiceTop} to ${short} and committed there.`
        : `${result.path}/ in ${result.practiceTop} already points at ${short}.`;
  process.stdout.write(`${what}\nNext: ${result.next}\n`);
  return 0;
});
