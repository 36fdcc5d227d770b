#!/usr/bin/env node
// @ts-check
/**
 * Writes dist/THIRD-PARTY-LICENSES.txt: every package whose code esbuild put into dist/, with the
 * licence and notice files it ships. `npm run build` runs it after tsup; the file ships in the package.
 *
 *   node scripts/third-party-notice.mjs [--metafile dist/metafile-esm.json] [--out dist/THIRD-PARTY-LICENSES.txt]
 *
 * A small script rather than a plugin: esbuild-plugin-license and similar need esbuild's own build call
 * (tsup hands plugins a build whose outputs it writes itself), and rollup-plugin-license is for Rollup.
 * The metafile already says which packages reached the bundle; what is left is reading their files.
 * Apache-2.0 asks that a NOTICE file travel with the code, so NOTICE files are copied as well.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundledPackages } from './licences.mjs';

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([-._].*)?$/i;
const RULE = '='.repeat(80);

/**
 * @param {import('./licences.mjs').BundledPackage[]} packages
 * @returns {string}
 */
export function renderNotice(packages) {
  const texts = packages.map((pkg) => ({
    pkg,
    files: readdirSync(pkg.dir)
      .filter((file) => LICENCE_FILE.test(file))
      .sort()
      .map((file) => ({ file, text: readFileSync(path.join(pkg.dir, file), 'utf8').trimEnd() })),
  }));
  // Most of the SDK's packages carry the same Apache-2.0 text word for word: it is given once, and the
  // others point to it, which keeps the notice to a third of its size.
  /** @type {Map<string, string>} */
  const firstWith = new Map();
  const sections = texts.map(({ pkg, files }) => {
    const heading = `${pkg.name}@${pkg.version}\nLicence: ${pkg.licence ?? 'not stated'}`;
    if (files.length > 0) {
      const body = files.map(({ file, text }) => {
        const label = files.length > 1 ? `--- ${file} ---\n` : '';
        const earlier = firstWith.get(text);
        if (earlier) return `${label}${file}: the same text as under ${earlier} above.`;
        firstWith.set(text, `${pkg.name}@${pkg.version}`);
        return `${label}${text}`;
      });
      return `${heading}\n\n${body.join('\n\n')}`;
    }
    // A few packages (some of the AWS SDK's) publish without a licence file; the terms are still those
    // of their package.json, whose full text another package with the same licence already carries.
    const same = texts.find((other) => other.files.length > 0 && other.pkg.licence === pkg.licence);
    return `${heading}\n\nThis package ships no licence file.${same ? ` The text of ${pkg.licence} is given above under ${same.pkg.name}@${same.pkg.version}.` : ''}`;
  });
  // Packages without their own text point up to one with it, so those come last.
  const order = texts.map((t, i) => ({ i, own: t.files.length > 0 })).sort((a, b) => Number(b.own) - Number(a.own) || a.i - b.i);
  const index = packages.map((pkg) => `  ${pkg.name}@${pkg.version} (${pkg.licence ?? 'licence not stated'})`).join('\n');
  return `Third-party software in kds-xacct

kds-xacct ships with its dependencies bundled into dist/. These ${packages.length} packages are part of it,
each under its own licence, given in full below.

${index}

${order.map(({ i }) => `${RULE}\n${sections[i]}\n`).join('\n')}`;
}

/** @param {string[]} args @param {string} flag @param {string} fallback */
const option = (args, flag, fallback) => path.resolve((args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined) ?? fallback);

function main() {
  const args = process.argv.slice(2);
  const metafilePath = option(args, '--metafile', 'dist/metafile-esm.json');
  const out = option(args, '--out', path.join(path.dirname(metafilePath), 'THIRD-PARTY-LICENSES.txt'));
  const packages = bundledPackages(metafilePath);
  writeFileSync(out, renderNotice(packages));
  console.log(`third-party-notice: ${packages.length} bundled packages listed in ${path.relative(process.cwd(), out)}`);
}

main();
