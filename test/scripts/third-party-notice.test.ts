import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFixture } from '../support/bundle-fixture.js';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/third-party-notice.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const APACHE = 'Apache License\nVersion 2.0, January 2004\n...the terms...';

/** Writes the notice for a metafile and returns its text. */
function notice(metafile: string): string {
  dirs.push(path.dirname(path.dirname(metafile)));
  const result = spawnSync(process.execPath, [script, '--metafile', metafile], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return readFileSync(path.join(path.dirname(metafile), 'THIRD-PARTY-LICENSES.txt'), 'utf8');
}

describe('scripts/third-party-notice.mjs', () => {
  it('lists every package with code in the bundle, nested and scoped ones too, with its licence and notice files', () => {
    const text = notice(
      bundleFixture([
        { dir: 'node_modules/commander', manifest: { name: 'commander', version: '14.0.3', license: 'MIT' }, files: { LICENSE: 'MIT License\nCopyright (c) TJ' } },
        {
          dir: 'node_modules/@aws-sdk/client-kms',
          manifest: { name: '@aws-sdk/client-kms', version: '3.1.0', license: 'Apache-2.0' },
          files: { LICENSE: APACHE, NOTICE: 'AWS SDK for JavaScript\nCopyright Amazon.com' },
        },
        { dir: 'node_modules/ora/node_modules/chalk', manifest: { name: 'chalk', version: '4.1.2', license: 'MIT' }, files: { 'license.md': 'MIT\nCopyright Sindre' } },
        { dir: 'node_modules/dropped', manifest: { name: 'dropped', version: '1.0.0', license: 'MIT' }, files: { LICENSE: 'dropped' }, bytesInOutput: 0 },
      ]),
    );
    expect(text).toContain('These 3 packages are part of it');
    expect(text).toMatch(/ {2}@aws-sdk\/client-kms@3\.1\.0 \(Apache-2\.0\)\n {2}chalk@4\.1\.2 \(MIT\)\n {2}commander@14\.0\.3 \(MIT\)\n/);
    expect(text).toContain(`@aws-sdk/client-kms@3.1.0\nLicence: Apache-2.0\n\n--- LICENSE ---\n${APACHE}\n\n--- NOTICE ---\nAWS SDK for JavaScript\nCopyright Amazon.com\n`);
    expect(text).toContain('chalk@4.1.2\nLicence: MIT\n\nMIT\nCopyright Sindre\n');
    expect(text).toContain('commander@14.0.3\nLicence: MIT\n\nMIT License\nCopyright (c) TJ\n');
    expect(text).not.toContain('dropped');
  });

  it('gives a licence text shared word for word once, and points to it from a package that ships none', () => {
    const text = notice(
      bundleFixture([
        { dir: 'node_modules/@aws-sdk/core', manifest: { name: '@aws-sdk/core', version: '3.9.0', license: 'Apache-2.0' }, files: { LICENSE: APACHE } },
        { dir: 'node_modules/@aws-sdk/client-sts', manifest: { name: '@aws-sdk/client-sts', version: '3.1.0', license: 'Apache-2.0' }, files: { LICENSE: APACHE } },
        { dir: 'node_modules/@aws-sdk/nested-clients', manifest: { name: '@aws-sdk/nested-clients', version: '3.2.0', license: 'Apache-2.0' } },
      ]),
    );
    expect(text.split(APACHE)).toHaveLength(2);
    expect(text).toContain('@aws-sdk/core@3.9.0\nLicence: Apache-2.0\n\nLICENSE: the same text as under @aws-sdk/client-sts@3.1.0 above.\n');
    expect(text).toContain('@aws-sdk/nested-clients@3.2.0\nLicence: Apache-2.0\n\nThis package ships no licence file. The text of Apache-2.0 is given above under @aws-sdk/client-sts@3.1.0.\n');
    expect(text.indexOf(APACHE)).toBeLessThan(text.indexOf('@aws-sdk/core@3.9.0\nLicence'));
    expect(text.indexOf('@aws-sdk/core@3.9.0\nLicence')).toBeLessThan(text.indexOf('@aws-sdk/nested-clients@3.2.0\nLicence'));
  });

  it("covers every package in this project's own bundle", () => {
    const metafile = JSON.parse(readFileSync(path.join(root, 'dist/metafile-esm.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    const text = readFileSync(path.join(root, 'dist/THIRD-PARTY-LICENSES.txt'), 'utf8');
    const names = new Set(
      Object.values(metafile.outputs)
        .flatMap((output) => Object.entries(output.inputs))
        .filter(([input, { bytesInOutput }]) => input.includes('node_modules/') && bytesInOutput > 0)
        .map(([input]) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(input)![1]!),
    );
    expect(names.size).toBeGreaterThan(50);
    for (const name of ['commander', '@aws-sdk/client-kinesis', '@smithy/core', 'fflate']) expect(names).toContain(name);
    for (const name of names) expect(text).toMatch(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}@[^\\n]+\\nLicence: `, 'm'));
  });
});
