#!/usr/bin/env node
// @ts-check
/**
 * Fails when the production dependency tree, or the code bundled into dist/, holds anything but
 * permissively licensed code.
 *
 * Reads package-lock.json (v2/v3 `packages`): every entry that is not `dev` is installed by
 * `npm install kds-xacct` (or `npm ci --omit=dev`), so its `license` must be on the allow-list in scripts/licences.mjs.
 * An entry without a licence in the lockfile is looked up in its installed package.json; one found
 * nowhere fails as unknown. SPDX expressions count when one side of an OR, or every side of an AND,
 * is permissive.
 *
 * The bundle's packages come from esbuild's metafile (dist/metafile-esm.json, written by `npm run build`):
 * they ship inside our tarball whatever package.json says, so they are judged by their package.json too.
 *
 *   node scripts/check-licences.mjs [--lockfile <path>] [--metafile <path>]
 *
 * Exit 0: all permissive; 1: a copyleft, unknown or missing licence; 2: the lockfile or metafile cannot be read.
 * No dependencies: well-kept tools for this (license-checker-rseidelsohn, licensee) read the installed
 * tree through @npmcli/arborist, a larger tree than the one being checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundledPackages, COPYLEFT, judgeExpression, manifestLicence } from './licences.mjs';

/**
 * @typedef {{ version?: string, license?: unknown, dev?: boolean, link?: boolean, resolved?: string,
 *   dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>,
 *   peerDependencies?: Record<string, string> }} LockEntry
 */

/**
 * The licence of a lockfile entry: its `license`, else the installed package.json's.
 * @param {LockEntry} entry
 * @param {string} installed path of the installed package.json
 * @returns {string | undefined}
 */
function licenceOf(entry, installed) {
  if (typeof entry.license === 'string') return entry.license;
  if (!existsSync(installed)) return undefined;
  return manifestLicence(JSON.parse(readFileSync(installed, 'utf8')));
}

/** @param {string} key a lockfile path such as node_modules/a/node_modules/@b/c */
const nameOf = (key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/**
 * @param {string} lockfilePath
 * @returns {{ packages: number, counts: Map<string, number>, problems: string[] }}
 */
function checkLockfile(lockfilePath) {
  const lock = JSON.parse(readFileSync(lockfilePath, 'utf8'));
  /** @type {Record<string, LockEntry> | undefined} */
  const entries = lock.packages;
  if (!entries || typeof entries !== 'object') throw new Error(`${lockfilePath} has no "packages" (lockfileVersion 2 or 3 is needed; it is ${lock.lockfileVersion})`);
  const root = path.dirname(lockfilePath);
  const production = Object.entries(entries).filter(([, entry]) => entry.dev !== true && entry.link !== true);
  /** @param {string} name */
  const requiredBy = (name) =>
    production
      .filter(([, e]) => [e.dependencies, e.optionalDependencies, e.peerDependencies].some((deps) => deps && name in deps))
      .map(([k]) => (k === '' ? 'kds-xacct' : nameOf(k)));
  const counts = new Map();
  const problems = [];
  for (const [key, entry] of production) {
    const name = key === '' ? String(lock.name ?? 'the project') : nameOf(key);
    const licence = licenceOf(entry, path.join(root, key, 'package.json'));
    const who = `${name}@${entry.version ?? '?'}${key === '' ? '' : ` (required by ${[...new Set(requiredBy(name))].join(', ') || 'nothing'})`}`;
    if (licence === undefined) {
      problems.push(`${who}: no licence in the lockfile or its package.json`);
      continue;
    }
    counts.set(licence, (counts.get(licence) ?? 0) + 1);
    const verdict = judgeExpression(licence);
    if (!verdict.ok) {
      const kind = verdict.offending.some((id) => COPYLEFT.test(id)) ? 'copyleft' : 'not a licence on the permissive allow-list';
      problems.push(`${who}: ${licence} (${kind})`);
    }
  }
  return { packages: production.length, counts, problems };
}

/**
 * @param {string} metafilePath
 * @returns {{ packages: number, counts: Map<string, number>, problems: string[] }}
 */
function checkBundle(metafilePath) {
  const bundled = bundledPackages(metafilePath);
  const counts = new Map();
  const problems = [];
  for (const { name, version, licence } of bundled) {
    if (licence === undefined) {
      problems.push(`${name}@${version}: no licence in its package.json`);
      continue;
    }
    counts.set(licence, (counts.get(licence) ?? 0) + 1);
    const verdict = judgeExpression(licence);
    if (!verdict.ok) problems.push(`${name}@${version}: ${licence} (${verdict.offending.some((id) => COPYLEFT.test(id)) ? 'copyleft' : 'not a licence on the permissive allow-list'})`);
  }
  return { packages: bundled.length, counts, problems };
}

/** @param {Map<string, number>} counts */
const summarise = (counts) => [...counts].sort((a, b) => b[1] - a[1]).map(([licence, n]) => `${licence} ${n}`).join(', ');

/** @param {string[]} args @param {string} flag @param {string} fallback */
const option = (args, flag, fallback) => path.resolve((args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined) ?? fallback);

function main() {
  const args = process.argv.slice(2);
  const lockfilePath = option(args, '--lockfile', 'package-lock.json');
  const metafilePath = option(args, '--metafile', 'dist/metafile-esm.json');
  let installed;
  let bundled;
  try {
    installed = checkLockfile(lockfilePath);
  } catch (error) {
    console.error(`check-licences: cannot read ${lockfilePath}: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  try {
    bundled = checkBundle(metafilePath);
  } catch (error) {
    console.error(`check-licences: cannot read the bundle's packages from ${metafilePath} (run \`npm run build\` first): ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  if (installed.problems.length === 0) {
    console.log(`Licences: the ${installed.packages} production packages in ${path.basename(lockfilePath)} are all permissive (${summarise(installed.counts)}).`);
  } else {
    console.error(`Licences: ${installed.problems.length} of the ${installed.packages} production packages in ${lockfilePath} are not permissively licensed:`);
    for (const problem of installed.problems) console.error(`  ${problem}`);
    console.error('Make it a devDependency if only the tests need it, or replace it: what `npm install kds-xacct` installs must be permissive.');
  }
  if (bundled.problems.length === 0) {
    console.log(`Licences: the ${bundled.packages} packages bundled into dist/ are all permissive (${summarise(bundled.counts)}).`);
  } else {
    console.error(`Licences: ${bundled.problems.length} of the ${bundled.packages} packages bundled into dist/ (${metafilePath}) are not permissively licensed:`);
    for (const problem of bundled.problems) console.error(`  ${problem}`);
    console.error('Bundled code ships inside kds-xacct: keep it out of what src/ imports at run time, or replace it.');
  }
  return installed.problems.length + bundled.problems.length === 0 ? 0 : 1;
}

process.exitCode = main();
