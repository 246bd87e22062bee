import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['eslint.config.js', 'node_modules/**', '.tools/**', '.data/**', 'activities/harbor/generated/**', 'vendor/**'] },
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
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no Node built-ins,
    // and activities only as types.
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
