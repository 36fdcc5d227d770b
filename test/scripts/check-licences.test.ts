import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFixture } from '../support/bundle-fixture.js';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/check-licences.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Entry = { version?: string; license?: string; dev?: boolean; dependencies?: Record<string, string> };

/** A lockfile v3 with kds-xacct depending on every non-dev package given, plus their installed package.json files. */
function fixture(packages: Record<string, Entry>, installed: Record<string, object> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-licences-'));
  dirs.push(dir);
  const direct = Object.fromEntries(Object.entries(packages).filter(([, e]) => !e.dev).map(([name]) => [name, '*']));
  const lock = {
    name: 'kds-xacct',
    version: '0.1.0',
    lockfileVersion: 3,
    packages: {
      '': { name: 'kds-xacct', version: '0.1.0', license: 'MIT', dependencies: direct },
      ...Object.fromEntries(Object.entries(packages).map(([name, entry]) => [`node_modules/${name}`, { version: '1.0.0', ...entry }])),
    },
  };
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock));
  for (const [name, manifest] of Object.entries(installed)) {
    mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules', name, 'package.json'), JSON.stringify(manifest));
  }
  return path.join(dir, 'package-lock.json');
}

function check(lockfile?: string, metafile?: string) {
  const args = [...(lockfile ? ['--lockfile', lockfile] : []), ...(metafile ? ['--metafile', metafile] : [])];
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('scripts/check-licences.mjs', () => {
  it("passes this project's own production tree and bundle", () => {
    const { code, out } = check();
    expect(code).toBe(0);
    expect(out).toContain('Licences: the 1 production packages in package-lock.json are all permissive (MIT 1).');
    expect(out).toMatch(/\nLicences: the \d+ packages bundled into dist\/ are all permissive \((MIT|Apache-2\.0) \d+/);
  });

  it('fails on copyleft code bundled into dist/, although npm installs none of it', () => {
    const metafile = bundleFixture([
      { dir: 'node_modules/commander', manifest: { name: 'commander', version: '14.0.3', license: 'MIT' } },
      { dir: 'node_modules/@cloud-copilot/iam-simulate', manifest: { name: '@cloud-copilot/iam-simulate', version: '0.1.173', license: 'AGPL-3.0-or-later' } },
      { dir: 'node_modules/a/node_modules/nested', manifest: { name: 'nested', version: '2.0.0', license: 'LGPL-3.0-only' } },
      { dir: 'node_modules/unlabelled', manifest: { name: 'unlabelled', version: '1.0.0' } },
      { dir: 'node_modules/tree-shaken', manifest: { name: 'tree-shaken', version: '1.0.0', license: 'GPL-3.0-only' }, bytesInOutput: 0 },
    ]);
    dirs.push(path.dirname(path.dirname(metafile)));
    const { code, out, err } = check(fixture({ fine: { license: 'MIT' } }), metafile);
    expect(code).toBe(1);
    expect(out).toContain('production packages in package-lock.json are all permissive');
    expect(err).toContain('3 of the 4 packages bundled into dist/');
    expect(err).toContain('@cloud-copilot/iam-simulate@0.1.173: AGPL-3.0-or-later (copyleft)');
    expect(err).toContain('nested@2.0.0: LGPL-3.0-only (copyleft)');
    expect(err).toContain('unlabelled@1.0.0: no licence in its package.json');
    expect(err).not.toContain('commander@');
    expect(err).not.toContain('tree-shaken');
  });

  it('asks for a build when there is no metafile, with exit 2', () => {
    const { code, err } = check(undefined, path.join(root, 'no-such-dir', 'metafile-esm.json'));
    expect(code).toBe(2);
    expect(err).toContain('run `npm run build` first');
  });

  it('fails on an AGPL production dependency, saying what pulls it in', () => {
    const lockfile = fixture({
      simulator: { license: 'AGPL-3.0-or-later', dependencies: { helper: '*' } },
      helper: { license: 'GPL-2.0-only' },
      fine: { license: 'MIT' },
    });
    const { code, err } = check(lockfile);
    expect(code).toBe(1);
    expect(err).toContain('2 of the 4 production packages');
    expect(err).toContain('simulator@1.0.0 (required by kds-xacct): AGPL-3.0-or-later (copyleft)');
    expect(err).toContain('helper@1.0.0 (required by kds-xacct, simulator): GPL-2.0-only (copyleft)');
    expect(err).not.toContain('fine@');
  });

  it('ignores copyleft in dev dependencies: npm install kds-xacct leaves them out', () => {
    expect(check(fixture({ simulator: { license: 'AGPL-3.0-or-later', dev: true }, fine: { license: 'ISC' } })).code).toBe(0);
  });

  it('judges SPDX expressions: one permissive side of an OR is enough, every side of an AND must be', () => {
    const lockfile = fixture({
      'dual-licensed': { license: '(MIT OR GPL-3.0-or-later)' },
      'both-apply': { license: 'MIT AND LGPL-2.1-only' },
      'llvm-exception': { license: 'Apache-2.0 WITH LLVM-exception' },
      'classpath-exception': { license: 'GPL-2.0-only WITH Classpath-exception-2.0' },
      'weak-copyleft': { license: 'MPL-2.0' },
      nested: { license: '(BSD-3-Clause AND (Apache-2.0 OR EPL-2.0))' },
      'lower-case': { license: 'mit or apache-2.0' },
    });
    const { code, err } = check(lockfile);
    expect(code).toBe(1);
    const failed = err.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim().split('@')[0]);
    expect(failed).toEqual(['both-apply', 'classpath-exception', 'weak-copyleft']);
  });

  it('fails on a licence that is not on the allow-list, or that cannot be parsed, or is missing everywhere', () => {
    const lockfile = fixture(
      {
        proprietary: { license: 'UNLICENSED' },
        'see-file': { license: 'SEE LICENSE IN LICENSE.md' },
        'from-package-json': {},
        'old-style': {},
        nowhere: {},
      },
      { 'from-package-json': { license: 'BSD-2-Clause' }, 'old-style': { licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] } },
    );
    const { code, err } = check(lockfile);
    expect(code).toBe(1);
    expect(err).toContain('proprietary@1.0.0 (required by kds-xacct): UNLICENSED (not a licence on the permissive allow-list)');
    expect(err).toContain('see-file@1.0.0 (required by kds-xacct): SEE LICENSE IN LICENSE.md (not a licence on the permissive allow-list)');
    expect(err).toContain('nowhere@1.0.0 (required by kds-xacct): no licence in the lockfile or its package.json');
    expect(err).not.toContain('from-package-json@');
    expect(err).not.toContain('old-style@');
  });

  it('refuses a lockfile without a packages map, with exit 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-licences-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 1, dependencies: {} }));
    const { code, err } = check(path.join(dir, 'package-lock.json'));
    expect(code).toBe(2);
    expect(err).toContain('lockfileVersion 2 or 3 is needed; it is 1');
  });
});
