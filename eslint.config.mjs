// Type-aware lint for every TypeScript file; the formatter (prettier) owns layout.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'build/',
      'dist/',
      'prebuilds/',
      'docs/reference/',
      '.scratch/',
      'reports/',
      '.stryker-tmp/',
      // Benchmark output: a running benchmark compiles src/ and bench/ there.
      'bench/results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // Private state is ECMAScript `#` fields everywhere, never TypeScript's `private`.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'TSParameterProperty[accessibility="private"], PropertyDefinition[accessibility="private"], MethodDefinition[accessibility="private"][kind!="constructor"]',
          message: 'Use an ECMAScript #private member, not TypeScript `private`.',
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // TypeScript itself reports undefined names, with the right types in scope.
    files: ['**/*.ts', '**/*.mts'],
    rules: { 'no-undef': 'off' },
  },
);
