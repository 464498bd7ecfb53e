/**
 * Dependency rules checked in CI (`pnpm deps:check`): no import cycles (type-only
 * imports are erased and do not count), no import across package boundaries
 * except through a package's entry points (`@tsquic/<pkg>` and the subpaths its
 * exports map lists), and quic-transport's core modules never import back from
 * the connection they serve (only its entry points and the endpoint that makes
 * connections do).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: split the shared part into a leaf module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-deep-cross-package',
      severity: 'error',
      comment: 'Another package reached by a relative path: import it by name (@tsquic/...) through its exports map.',
      from: { path: '^(packages|examples|tools)/([^/]+)/' },
      to: { path: '^(packages|examples|tools)/', pathNot: ['^$1/$2/', 'node_modules'], dependencyTypes: ['local'] },
    },
    {
      name: 'no-deep-package-import',
      severity: 'error',
      comment: "A workspace package reached past its entry points (its src, or a dist file its exports map does not list).",
      from: { path: '^(packages|examples|tools|bench)/' },
      to: { path: '^packages/[^/]+/src/', dependencyTypesNot: ['local'] },
    },
    {
      name: 'core-not-back-to-connection',
      severity: 'error',
      comment: "quic-transport's core modules get the connection's parts; none imports the connection module at run time (types only).",
      from: { path: '^packages/quic-transport/src/core/', pathNot: '^packages/quic-transport/src/core/(connection|endpoint|index)\\.ts$' },
      to: { path: '^packages/quic-transport/src/core/connection\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test|coverage)/|\\.d\\.ts$' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'node', 'default'], extensions: ['.ts', '.js', '.d.ts'] },
  },
};
