#!/usr/bin/env node
// @ts-check
/**
 * Fails when the production dependency tree holds anything but permissively licensed code.
 *
 * Reads package-lock.json (v2/v3 `packages`): every entry that is not `dev` is installed by
 * `npm install kds-xacct` (or `npm ci --omit=dev`), so its `license` must be on the allow-list below.
 * An entry without a licence in the lockfile is looked up in its installed package.json; one found
 * nowhere fails as unknown. SPDX expressions count when one side of an OR, or every side of an AND,
 * is permissive.
 *
 *   node scripts/check-licences.mjs [--lockfile <path>]
 *
 * Exit 0: all permissive; 1: a copyleft, unknown or missing licence; 2: the lockfile cannot be read.
 * No dependencies: well-kept tools for this (license-checker-rseidelsohn, licensee) read the installed
 * tree through @npmcli/arborist, a larger tree than the one being checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Permissive licences (SPDX ids): use, change and ship without passing on source-code obligations. */
const PERMISSIVE = new Set(
  [
    'MIT',
    'MIT-0',
    'ISC',
    'BSD-2-Clause',
    'BSD-3-Clause',
    '0BSD',
    'Apache-2.0',
    'BlueOak-1.0.0',
    'Unlicense',
    'CC0-1.0',
    'CC-BY-3.0',
    'CC-BY-4.0',
    'Python-2.0',
    'PSF-2.0',
    'Zlib',
    'BSL-1.0',
    'X11',
  ].map((id) => id.toLowerCase()),
);

/** Families whose terms reach the code that uses them (or forbid some uses): named as such in the report. */
const COPYLEFT = /^(A?GPL|LGPL|MPL|EPL|CDDL|SSPL|EUPL|OSL|CPAL|CPL|RPL|QPL|Sleepycat|CECILL|MS-RL|ODbL|CC-BY-SA|CC-BY-NC)/i;

/**
 * @typedef {{ version?: string, license?: unknown, dev?: boolean, link?: boolean, resolved?: string,
 *   dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>,
 *   peerDependencies?: Record<string, string> }} LockEntry
 * @typedef {{ ok: boolean, offending: string[] }} Verdict
 */

/** @param {string} expression */
function tokenize(expression) {
  return expression.replace(/[()]/g, ' $& ').trim().split(/\s+/).filter(Boolean);
}

/**
 * Evaluates an SPDX licence expression: `a OR b` is fine when either is, `a AND b` when both are;
 * `x WITH exception` is judged by `x`. Anything it cannot parse is not permissive.
 * @param {string} expression
 * @returns {Verdict}
 */
function judgeExpression(expression) {
  const tokens = tokenize(expression);
  let at = 0;
  const peek = () => tokens[at]?.toUpperCase();
  /** @returns {Verdict} */
  const orExpression = () => {
    const sides = [andExpression()];
    while (peek() === 'OR') {
      at++;
      sides.push(andExpression());
    }
    return sides.some((s) => s.ok) ? { ok: true, offending: [] } : { ok: false, offending: sides.flatMap((s) => s.offending) };
  };
  /** @returns {Verdict} */
  const andExpression = () => {
    const sides = [atom()];
    while (peek() === 'AND') {
      at++;
      sides.push(atom());
    }
    return { ok: sides.every((s) => s.ok), offending: sides.flatMap((s) => s.offending) };
  };
  /** @returns {Verdict} */
  const atom = () => {
    const token = tokens[at++];
    if (token === '(') {
      const inner = orExpression();
      if (tokens[at++] !== ')') throw new Error('unbalanced parentheses');
      return inner;
    }
    if (token === undefined || token === ')' || ['AND', 'OR', 'WITH'].includes(token.toUpperCase())) throw new Error(`unexpected ${token ?? 'end'}`);
    if (peek() === 'WITH') at += 2;
    const ok = PERMISSIVE.has(token.toLowerCase());
    return { ok, offending: ok ? [] : [token] };
  };
  try {
    const verdict = orExpression();
    if (at !== tokens.length) throw new Error(`unexpected ${tokens[at]}`);
    return verdict;
  } catch {
    return { ok: false, offending: [expression] };
  }
}

/**
 * The licence of a lockfile entry: its `license`, else the installed package.json's (old packages wrote
 * `license: { type }` or `licenses: [{ type }]`).
 * @param {LockEntry} entry
 * @param {string} installed path of the installed package.json
 * @returns {string | undefined}
 */
function licenceOf(entry, installed) {
  if (typeof entry.license === 'string') return entry.license;
  if (!existsSync(installed)) return undefined;
  const manifest = JSON.parse(readFileSync(installed, 'utf8'));
  /** @param {unknown} value */
  const text = (value) => (typeof value === 'string' ? value : typeof value === 'object' && value !== null && 'type' in value ? String(value.type) : undefined);
  if (manifest.license !== undefined) return text(manifest.license);
  if (Array.isArray(manifest.licenses) && manifest.licenses.length > 0) {
    const each = manifest.licenses.map(text);
    return each.every(Boolean) ? (each.length > 1 ? `(${each.join(' OR ')})` : each[0]) : undefined;
  }
  return undefined;
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

function main() {
  const args = process.argv.slice(2);
  const flag = args.indexOf('--lockfile');
  const lockfilePath = path.resolve((flag >= 0 ? args[flag + 1] : undefined) ?? 'package-lock.json');
  let result;
  try {
    result = checkLockfile(lockfilePath);
  } catch (error) {
    console.error(`check-licences: cannot read ${lockfilePath}: ${error instanceof Error ? error.message : error}`);
    return 2;
  }
  const summary = [...result.counts].sort((a, b) => b[1] - a[1]).map(([licence, n]) => `${licence} ${n}`).join(', ');
  if (result.problems.length === 0) {
    console.log(`Licences: the ${result.packages} production packages in ${path.basename(lockfilePath)} are all permissive (${summary}).`);
    return 0;
  }
  console.error(`Licences: ${result.problems.length} of the ${result.packages} production packages in ${lockfilePath} are not permissively licensed:`);
  for (const problem of result.problems) console.error(`  ${problem}`);
  console.error('Make it a devDependency if only the tests need it, or replace it: what `npm install kds-xacct` installs must be permissive.');
  return 1;
}

process.exitCode = main();
