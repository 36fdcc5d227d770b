import { readFile } from 'node:fs/promises';
import { cruise, type IModule } from 'dependency-cruiser';
import extractTsConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

/** The AGPL simulator: a runtime dependency today, for `status`, but never something the sandbox may reach. */
const NEVER = new Set(['@cloud-copilot/iam-simulate']);

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

describe('the model of AWS, which the sandbox ships', () => {
  it('reaches, through everything it imports, only our code and our runtime dependencies', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { dependencies: Record<string, string> };
    const runtime = new Set(Object.keys(pkg.dependencies).filter((name) => !NEVER.has(name)));
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
      m.dependencies.filter((d) => !d.coreModule && d.resolved.includes('node_modules') && !d.dependencyTypes.includes('type-only')).map((d) => `${m.source}: ${packageName(d.module)}`),
    );
    expect(ours.length).toBeGreaterThan(20);
    expect(outside).toEqual([]);
    expect(packages.filter((p) => !runtime.has(p.split(': ')[1]!))).toEqual([]);
  }, 60_000);
});
