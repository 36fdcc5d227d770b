/** Import rules for src/, checked by `npm test` (dependency-cruiser). */

/**
 * Every package is a devDependency, since dist/ bundles what src/ imports (DESIGN.md, Licences). These are
 * the ones for tests and the build only: bundled, they would ship the AGPL simulator or a test library.
 */
const BUILD_AND_TEST_ONLY = ['@cloud-copilot/iam-simulate', '@stryker-mutator/core', '@stryker-mutator/vitest-runner', '@types/node', '@xterm/headless', 'aws-sdk-client-mock', 'dependency-cruiser', 'tsup', 'tsx', 'typescript', 'vitest'];
const escape = (name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Arrows point one way: a module never imports, directly or through others, a module that imports it. Type-only imports count too: erased at build time, they still tie the two modules together for a reader.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-dev-dependency-at-run-time',
      severity: 'error',
      comment: `What ships is bundled from src/: test libraries, the IAM simulator and the build tools (${BUILD_AND_TEST_ONLY.join(', ')}) stay out of it.`,
      from: { path: '^src/' },
      to: { path: `node_modules/(${BUILD_AND_TEST_ONLY.map(escape).join('|')})/`, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-undeclared-package',
      severity: 'error',
      comment: 'A package src/ imports must be in package.json, so the lockfile pins what dist/ bundles.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-test-code-at-run-time',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'aws-requirements-not-in-product',
      severity: 'error',
      comment: "src/sandbox/aws-requirements.ts and aws-error-texts.ts state what AWS requires and how it words its errors, for the sandbox and the tests to judge the product by; a product that imported them would agree with itself again.",
      from: { path: '^src/', pathNot: '^src/sandbox/' },
      to: { path: '^src/sandbox/aws-(requirements|error-texts)\\.ts$' },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import that cannot be resolved escapes every other rule here (and fails at run time).',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // Without these, a package that declares only `exports` (the AGPL IAM simulator does) is not resolved,
    // so its dependency type is unknown and no-dev-dependency-at-run-time would never see it.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
