/** Import rules for src/, checked by `npm test` (dependency-cruiser). */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Arrows point one way: a module never imports, directly or through others, a module that imports it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-dev-dependency-at-run-time',
      severity: 'error',
      comment:
        'src/ is what users install: it may not import a devDependency, which `npm install kds-xacct` leaves out. The AGPL IAM simulator above all: it is for tests only (test/support/policy-check.ts).',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
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
    // Without these, a package that declares only `exports` (the IAM simulator does) is not resolved, so
    // its dependency type is unknown and the rule above would never see it.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
