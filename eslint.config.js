// Lint configuration (ESLint flat config with typescript-eslint). It owns which rules guard the
// tree; layout is prettier's job (.prettierrc.json), so no stylistic rules live here. Rules are
// the recommended sets plus one that keeps each folder with an index.ts behind that surface.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Folders under src/ that publish an index.ts: code outside such a folder imports its index.js
// only, never a file inside it. Inside the folder relative imports stay free.
const SURFACES = [
  'config',
  'gateway',
  'emulators/code-engine',
  'backends/docker',
  'backends/process',
  'backends/code-engine',
];

// Modules public beside their folder's index.js, each for a stated reason:
// config/endpoint-policy.js is dependency-free and read on the CLI's startup path (the
// --allow-endpoint flag) and by every HTTP client; going through config/index.js would load the
// whole config front end (ajv, yaml) there.
const ALSO_PUBLIC = { config: ['endpoint-policy.js'] };

/** Import patterns (gitignore style) that reach past `folder`'s index.js from outside it. */
function pastSurface(folder) {
  const last = folder.split('/').at(-1);
  const extra = (ALSO_PUBLIC[folder] ?? []).map((f) => `!../**/${last}/${f}`);
  return {
    group: [`../**/${last}/*`, `!../**/${last}/index.js`, ...extra],
    message: `Import src/${folder}/ through its index.js; the other files in it are internal.`,
  };
}

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'src/generated/', 'test/fixtures/', 'bench/results/', '.contextforge/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      // Unused bindings are mistakes, except a deliberately ignored `_name` or a rest sibling.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none' },
      ],
      // `typeof import('x')` stays allowed: modules loaded on demand (createRequire) need it.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // Terminal output is ANSI-coloured and wire input is checked for NUL bytes: regexes that
      // name control characters are deliberate here.
      'no-control-regex': 'off',
    },
  },
  {
    // TypeScript resolves names itself (and knows Node's globals from @types/node).
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: SURFACES.map((f) => `src/${f}/**`),
    rules: {
      'no-restricted-imports': ['error', { patterns: SURFACES.map(pastSurface) }],
    },
  },
  // Each surface folder is also outside the others, so it gets the rule for the rest.
  ...SURFACES.map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: SURFACES.filter((f) => f !== folder && !folder.startsWith(`${f}/`)).map(pastSurface) },
      ],
    },
  })),
);
