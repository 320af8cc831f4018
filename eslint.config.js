// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that touch the outside world; plan/ must stay pure. */
const impure = [
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:os',
  'node:net',
  'node:http',
  'node:https',
  'execa',
  'fs',
  'os',
  'child_process',
];

/**
 * One `no-restricted-imports` block per folder: `deny` lists the folders it must not import from.
 * @param {{ files: string[]; deny: string[] }[]} layers
 */
function layerRules(layers) {
  return layers.map(({ files, deny }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['ink', 'react', 'ink-testing-library'],
          patterns: [
            { group: deny, message: 'This folder may not import from there (docs/architecture.md).' },
          ],
        },
      ],
    },
  }));
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'coverage/**',
      'bench/**/*.js',
      'eslint.config.js',
      '.scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Build scripts run by node as they are (.mjs) are checked with a default project.
        projectService: { allowDefaultProject: ['scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    // The two entries: the launcher (launch.ts) and the CLI's (cli.ts).
    ignores: ['src/cli.ts', 'src/launch.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'cwd', message: 'cwd is read in cli.ts and passed down.' },
        { object: 'process', property: 'env', message: 'env is read in cli.ts and passed down.' },
        { object: 'os', property: 'homedir', message: 'homedir is read in cli.ts and passed down.' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/ui/tui/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['ink', 'react', 'ink-testing-library'] }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/util/node-path.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='node:path'] > :matches(ImportDefaultSpecifier, ImportNamespaceSpecifier)",
          message:
            'Import path from util/node-path.js: each default import of node:path costs the CommonJS build an interop object at start (docs/hot-paths.md).',
        },
      ],
    },
  },
  // The import rules between folders (each block repeats the Ink rule, because a later
  // no-restricted-imports replaces an earlier one for the same files).
  ...layerRules([
    { files: ['src/runtime/docker/**/*.ts'], deny: ['**/runtime/embedded/**', '**/embedded/**'] },
    { files: ['src/runtime/embedded/**/*.ts'], deny: ['**/runtime/docker/**', '**/docker/**'] },
    {
      files: ['src/image/**/*.ts'],
      deny: ['**/runtime/**', '**/engine/**', '**/bundle/**', '**/commands/**', '**/config/**'],
    },
    { files: ['src/config/**/*.ts'], deny: ['**/engine/**', '**/runtime/**', '**/bundle/**'] },
    { files: ['src/util/**/*.ts'], deny: ['**/config/**', '**/plan/**'] },
  ]),
  {
    files: ['src/plan/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...impure, 'ink', 'react'],
          patterns: ['**/engine/**', '**/runtime/**', '**/ui/**', '**/commands/**'],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'Date'],
    },
  },
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'test/**/*.tsx', 'bench/**/*.ts', '*.config.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // vitest's asymmetric matchers (expect.stringMatching…) are typed any.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
