/** Architecture rules, checked in `npm test` by services/architecture.test.ts. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules in services/ and harness/ form no import cycle, type-only imports included.',
      severity: 'error',
      from: { path: '^(services|harness|deploy)/' },
      to: { circular: true },
    },
    {
      name: 'scenarios-use-the-engine',
      comment: 'Scenarios and mutants reach a mesh only through the MeshEngine, never the launcher or its hosts.',
      severity: 'error',
      from: { path: '^(scenarios/|harness/gate/mutants\\.ts$)' },
      to: { path: '^harness/mesh/(mesh-launcher|process-host|container-host|container-process|compose-project)\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
    // TypeScript 7 has no JavaScript compiler API, so sources are parsed with swc (type-only imports kept).
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
