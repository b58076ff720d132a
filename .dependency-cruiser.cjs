// The import-graph check of `npm test` (dependency-cruiser): no import circles, and imports flow one
// way — sdk ← runtime ← host ← cli — with the host's platform never reaching into a domain's internals.
// Type-only imports count: a circle of types still means two files that cannot be read apart.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Files that import each other cannot be read, tested or split apart.', from: {}, to: { circular: true } },
    { name: 'sdk-imports-nothing-of-ours', severity: 'error', comment: 'sdk ← runtime ← host ← cli: the SDK is what plugins import.', from: { path: '^packages/sdk/' }, to: { path: '^packages/(runtime|host|cli)/' } },
    { name: 'runtime-imports-only-sdk', severity: 'error', comment: 'sdk ← runtime ← host ← cli.', from: { path: '^packages/runtime/' }, to: { path: '^packages/(host|cli)/' } },
    { name: 'host-imports-no-cli', severity: 'error', comment: 'sdk ← runtime ← host ← cli: nothing imports the CLI.', from: { path: '^packages/host/' }, to: { path: '^packages/cli/' } },
    {
      name: 'platform-not-into-domains',
      severity: 'error',
      comment: 'The platform serves every primitive and knows none: only src/modules.ts names the modules.',
      from: { path: '^packages/host/src/platform/' },
      to: { path: '^packages/host/src/domains/' },
    },
    {
      name: 'domains-not-into-another-store',
      severity: 'error',
      comment: 'A service owns its tables: another primitive calls the service, never its SQL.',
      from: { path: '^packages/host/src/domains/([^/]+)/' },
      to: { path: '^packages/host/src/domains/([^/]+)/.+-store\\.ts$', pathNot: '^packages/host/src/domains/$1/' },
    },
  ],
  options: {
    // Other packages are seen (as their dist entry) but not followed: each package is cruised from its src.
    doNotFollow: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Workspace packages resolve to their folders (packages/<name>), so the layer rules see them.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types'] },
    preserveSymlinks: false,
  },
};
