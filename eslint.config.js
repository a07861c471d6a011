// Lint: typescript-eslint's recommended rules, plus the layering rule of docs/architecture.md
// (the core never imports an adapter, a store implementation or a driver).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreDirs = ['jwt', 'password', 'crypto', 'revocation', 'ratelimit', 'verifier'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'packages/server/static/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Named exports only: no export * barrels.' }],
    },
  },
  {
    files: coreDirs.map((d) => `packages/tessera/src/${d}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/adapters/**', '**/stores/sqlite*', '**/stores/memory*', '**/stores/redis*', '**/stores/postgres*'], message: 'The core imports only itself, stores/types, clock and errors.' },
          { group: ['fastify', 'fastify-plugin', 'express', 'better-sqlite3', 'ioredis', 'pg', 'pino'], message: 'No framework or driver in the core.' },
        ],
      }],
    },
  },
  {
    // The server is a user of the library: public subpaths only, never its files.
    files: ['packages/server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/tessera/src/**', '**/tessera/dist/**', 'tessera/*/**', '../../tessera/**', '../tessera/**'], message: 'Import the library through its public subpaths (tessera, tessera/fastify, tessera/sqlite…).' }],
      }],
    },
  },
  {
    files: ['**/test/**/*.ts', 'test/**/*.ts', 'scripts/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
);
