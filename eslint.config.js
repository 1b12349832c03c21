// ESLint 9 flat config: typescript-eslint's recommended type-checked rules over the whole tree.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The Node globals the plain .mjs/.cjs entry points use (they are outside tsc's checking). */
const nodeGlobals = Object.fromEntries(
  ['process', 'Buffer', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'URL', 'module', 'require', '__dirname'].map(
    (name) => [name, 'readonly'],
  ),
);

export default tseslint.config(
  {
    ignores: ['node_modules/', '.cache/', 'reports/', 'grader/reports/', 'screenshots/', 'build/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // tsc already refuses undefined names in every file it checks (the browser page's script included).
      'no-undef': 'off',
      // A leading underscore marks what is unused on purpose (a callback's parameter, a skipped element).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Rejecting with an AbortSignal's reason (typed any) is the platform's own convention for aborts.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // `async` without `await` is kept on purpose: it turns a synchronous throw into a rejection,
      // which is what callers of a Promise-returning interface handle.
      '@typescript-eslint/require-await': 'off',
      // A `let` that closures read before its one assignment (a server handing itself to callbacks
      // created while it is built) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A function longer than a screen does more than one job: split it (tests are exempt below).
      'max-lines-per-function': ['error', { max: 100 }],
    },
  },
  {
    // Tests read what the code under test wrote (JSON reports, stats files) through JSON.parse, which
    // is `any`; typing each fixture would only restate the assertions. Fakes implement async
    // interfaces without awaiting anything.
    files: ['**/*.test.ts', 'test/**/*.ts', '**/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      // A describe() block holds a whole spec.
      'max-lines-per-function': 'off',
    },
  },
  {
    // Worker and child entry points in plain JavaScript, and CommonJS config: tsc does not check
    // them, so the type-aware rules would only see `any`; the untyped rules still apply.
    files: ['**/*.mjs', '**/*.cjs', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: nodeGlobals },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-undef': 'error' },
  },
);
