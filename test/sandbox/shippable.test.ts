import { createRequire } from 'node:module';
import { cruise, type IModule } from 'dependency-cruiser';
import extractTsConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

/** The packages only the tests and the build may use (the AGPL simulator among them): never bundled. */
const depcruiseConfig = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as { forbidden: Array<{ name: string; to: { path?: string } }> };
const buildAndTestOnly = new RegExp(depcruiseConfig.forbidden.find((rule) => rule.name === 'no-dev-dependency-at-run-time')!.to.path!);

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

describe('the model of AWS, which the sandbox ships', () => {
  it('reaches, through everything it imports, only our code and the packages dist/ bundles', async () => {
    const result = await cruise(
      ['src/sandbox'],
      { exclude: { path: '\\.test\\.ts$' }, doNotFollow: { path: 'node_modules' }, tsPreCompilationDeps: true, tsConfig: { fileName: 'tsconfig.json' } },
      {},
      { tsConfig: extractTsConfig('tsconfig.json') },
    );
    const modules = (result.output as { modules: IModule[] }).modules;
    const ours = modules.filter((m) => !m.coreModule && !m.source.includes('node_modules'));
    const outside = ours.map((m) => m.source).filter((source) => !source.startsWith('src/'));
    const packages = ours.flatMap((m) =>
      m.dependencies.filter((d) => !d.coreModule && d.resolved.includes('node_modules') && !d.dependencyTypes.includes('type-only')).map((d) => ({ import: `${m.source}: ${packageName(d.module)}`, resolved: d.resolved })),
    );
    expect(ours.length).toBeGreaterThan(20);
    expect(outside).toEqual([]);
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((p) => buildAndTestOnly.test(p.resolved)).map((p) => p.import)).toEqual([]);
  }, 60_000);
});
