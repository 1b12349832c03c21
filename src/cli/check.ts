/**
 * npm run check -- [--repo PATH] [--staged] [--online] [--pushing] [--ci] [--json]
 * Exit code 1 when any check fails, 2 on bad usage.
 */
import { parseOptions, runMain } from './main.ts';
import { formatFindings, hasFailure, runRepoChecks } from '../check/readiness.ts';

const HELP = `Usage: npm run check -- [options]

Checks that a repository is ready to hand in: an effective .gitignore, nothing ignored or too large
committed, declared submodules, a real screenshot, pushed to GitHub, addable as a submodule.

  --repo PATH   repository to check (default: the current directory)
  --staged      only what is staged (the pre-commit hook); skips screenshots, remote, submodule-ready
  --online      prove submodule-readiness by cloning the origin URL (network) instead of the local path
  --pushing     used by the pre-push hook: HEAD ahead of its upstream is the push in progress
  --ci          a CI checkout (detached, no upstream) counts as pushed
  --json        print the findings as JSON
  --quiet       print only warnings and failures (the hooks use it)
  --help        this text
`;

runMain('check', async (argv) => {
  const { values } = parseOptions('check', argv, {
    repo: { type: 'string' },
    staged: { type: 'boolean' },
    online: { type: 'boolean' },
    pushing: { type: 'boolean' },
    ci: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean' },
    debug: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const findings = await runRepoChecks({
    repo: values.repo ?? process.cwd(),
    staged: values.staged ?? false,
    online: values.online ?? false,
    pushing: values.pushing ?? false,
    ci: values.ci ?? false,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  else if (!values.quiet) process.stdout.write(formatFindings(findings));
  else if (findings.some((f) => f.status !== 'pass')) process.stdout.write(formatFindings(findings.filter((f) => f.status !== 'pass')));
  return hasFailure(findings) ? 1 : 0;
});
