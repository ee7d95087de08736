// Lint with type information where it finds real bugs: promises nobody awaits or catches (a failed
// write or probe that vanishes silently), promises passed where a callback's result is ignored,
// awaiting non-promises. Formatting is prettier's job (npm run format:check).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'fixtures/**', 'docs/**', 'schema/**', 'test/fakes/bin*/**', '*.config.*'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      'no-control-regex': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  // Tests match ANSI escapes and control characters on purpose.
  { files: ['test/**/*.ts'], rules: { 'no-control-regex': 'off' } },
);
