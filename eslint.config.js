import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
/** A no-restricted-imports pattern forbidding relative imports that climb to these top-level folders (or files) of ours. */
const above = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message });

export default tseslint.config(
  { ignores: ['eslint.config.js', 'node_modules/**', '.tools/**', '.data/**', 'activities/harbor/generated/**', 'vendor/**', 'gen/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The arrows point down: api/, composition/, worker.ts, scripts/, test/, bench/ → workflows/,
  // activities/ and registry-proxy/ → db/ and storage/ → lib/. Each layer's block forbids the folders above it (type imports included
  // unless said otherwise).
  {
    files: ['lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [above(['api', 'composition', 'worker', 'scripts', 'test', 'bench', 'workflows', 'activities', 'db'], 'lib/ is below everything: it imports nothing of ours outside lib/.')] }],
    },
  },
  {
    // Object stores (the virtual registries' cache): below the API and the activities, beside db/.
    files: ['storage/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [above(['api', 'composition', 'worker', 'scripts', 'test', 'bench', 'workflows', 'activities', 'db'], 'storage/ may import only storage/ and lib/.')] }],
    },
  },
  {
    // The virtual registries' pull path (data plane, served by the API): below the API, beside the
    // activities; it reads and writes through db/ and talks to upstreams itself.
    files: ['registry-proxy/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [above(['api', 'composition', 'worker', 'scripts', 'test', 'bench', 'workflows', 'activities'], 'registry-proxy/ may import only registry-proxy/, storage/, db/ and lib/.')] }],
    },
  },
  {
    files: ['db/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [above(['api', 'composition', 'worker', 'scripts', 'test', 'bench', 'workflows', 'activities'], 'db/ may import only db/ and lib/.')] }],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [above(['api', 'composition', 'worker', 'scripts', 'test', 'bench', 'workflows'], 'Activities sit below the API, the composition root and the workflows (types included): move what both need to lib/.')] },
      ],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no Node built-ins,
    // activities only as types, and nothing above it.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows may not use Node built-ins; do I/O in an activity.' })),
          patterns: [
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows may import activities only with `import type`.',
            },
            above(['api', 'composition', 'worker', 'scripts', 'test', 'bench'], 'Workflows sit below the API and the composition root.'),
            // The records workflows return are db/'s types; the database itself is an activity's.
            { ...above(['db'], 'Workflows reach the database through activities; db/ only with `import type`.'), allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // The API reads through db/queries and writes through workflows: no SQL of its own.
    files: ['api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'drizzle-orm', message: 'The API reads through db/queries; no SQL in api/.' }],
          patterns: [
            { group: ['drizzle-orm/*'], message: 'The API reads through db/queries; no SQL in api/.' },
            { group: ['**/db/schema', '**/db/schema/**'], message: 'The API reads through db/queries, which return records; no tables in api/.' },
          ],
        },
      ],
    },
  },
);
