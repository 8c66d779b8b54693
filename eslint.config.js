// Lint rules that protect what the type checker cannot: promises nobody awaits (a lost
// activity call or update), and Node built-ins inside workflow code (non-deterministic on replay).
import tseslint from 'typescript-eslint';

import { builtinModules } from 'node:module';

// Every module Node ships (fs, fs/promises, diagnostics_channel, …), from Node itself: a list
// written by hand falls behind the next release. The `node:` prefix is caught by the pattern below.
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // Workflow code and the pure domain it imports run inside Temporal's deterministic sandbox.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['node:*'], message: 'Workflows and domain/ must not use Node built-ins.' }],
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows and domain/ must not use Node built-ins.' })),
            { name: 'pg', message: 'No I/O in workflows: use an activity.' },
            { name: '@temporalio/client', message: 'Workflows talk to Temporal through @temporalio/workflow.' },
            { name: '@temporalio/activity', message: 'Activities live in activities/.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'require'],
      'no-console': 'error',
    },
  },
);
