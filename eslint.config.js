// Lint: correctness basics plus the import rules that keep the architecture visible (DESIGN.md §4).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ui = ['react', 'react/*', 'ink', 'ink-*', 'zustand', 'zustand/*'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  { files: ['backends/**'], rules: restrict([...ui, '**/widgets/**', '**/screens/**', '**/src/store/**', 'execa'], 'backends draw nothing and run programs only through a Runner') },
  { files: ['src/protocols/**'], rules: restrict([...ui, '**/widgets/**', '**/screens/**', '**/src/store/**', '**/src/chat/**', '**/src/daemon/**', '**/backends/**', '../chat/*', '../daemon/*', '../store/*', 'execa'], 'protocols are wire formats and one HTTP client: they know no chat, daemon, backend or UI') },
  { files: ['widgets/**'], rules: restrict(['**/src/store/**', 'execa', 'zustand', 'zustand/*', '**/src/runner/**'], 'widgets only draw: no store, no processes') },
  { files: ['src/cli/**'], rules: restrict([...ui, '**/widgets/panels/**', '**/screens/**', '**/src/app/App*', '**/store/store*'], 'the headless CLI never loads ink/react/zustand') },
  { files: ['backends/nvidia/**'], rules: restrict([...ui, 'execa', '**/zfs/**', '**/numa/**', '**/system/**'], 'backends do not import each other') },
  { files: ['backends/zfs/**'], rules: restrict([...ui, 'execa', '**/nvidia/**', '**/numa/**', '**/system/**'], 'backends do not import each other') },
  { files: ['backends/numa/**'], rules: restrict([...ui, 'execa', '**/nvidia/**', '**/zfs/**', '**/system/**'], 'backends do not import each other') },
  { files: ['backends/system/**'], rules: restrict([...ui, 'execa', '**/nvidia/**', '**/zfs/**', '**/numa/**'], 'backends do not import each other') },
  { files: ['test/**', 'bench/**', 'scripts/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
);
