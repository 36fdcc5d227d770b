// @ts-check
/**
 * What scripts/check-licences.mjs and scripts/third-party-notice.mjs both need: which licences count as
 * permissive, and which packages' code esbuild put into dist/ (from its metafile).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** @typedef {{ ok: boolean, offending: string[] }} Verdict */

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
export const COPYLEFT = /^(A?GPL|LGPL|MPL|EPL|CDDL|SSPL|EUPL|OSL|CPAL|CPL|RPL|QPL|Sleepycat|CECILL|MS-RL|ODbL|CC-BY-SA|CC-BY-NC)/i;

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
export function judgeExpression(expression) {
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
 * A package.json's licence (old packages wrote `license: { type }` or `licenses: [{ type }]`).
 * @param {{ license?: unknown, licenses?: unknown }} manifest
 * @returns {string | undefined}
 */
export function manifestLicence(manifest) {
  /** @param {unknown} value */
  const text = (value) => (typeof value === 'string' ? value : typeof value === 'object' && value !== null && 'type' in value ? String(value.type) : undefined);
  if (manifest.license !== undefined) return text(manifest.license);
  if (Array.isArray(manifest.licenses) && manifest.licenses.length > 0) {
    const each = manifest.licenses.map(text);
    return each.every(Boolean) ? (each.length > 1 ? `(${each.join(' OR ')})` : each[0]) : undefined;
  }
  return undefined;
}

/**
 * @typedef {{ name: string, version: string, licence: string | undefined, dir: string }} BundledPackage
 */

/**
 * Every package with code in the bundle, by name and version, sorted by name. Read from the outputs'
 * inputs rather than the metafile's list of inputs: esbuild lists every file it parsed there, including
 * modules tree-shaking dropped, whose licences do not travel with the package.
 * @param {string} metafilePath esbuild's metafile (tsup writes dist/metafile-esm.json); its paths are
 *   relative to the directory the build ran in, which is the metafile's parent's parent.
 * @returns {BundledPackage[]}
 */
export function bundledPackages(metafilePath) {
  /** @type {{ outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }} */
  const metafile = JSON.parse(readFileSync(metafilePath, 'utf8'));
  const buildDir = path.resolve(path.dirname(metafilePath), '..');
  const dirs = new Set();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const at = input.lastIndexOf('node_modules/');
      if (at < 0 || bytesInOutput === 0) continue;
      const [scopeOrName, name] = input.slice(at + 'node_modules/'.length).split('/');
      dirs.add(path.resolve(buildDir, input.slice(0, at + 'node_modules/'.length), scopeOrName?.startsWith('@') ? `${scopeOrName}/${name}` : String(scopeOrName)));
    }
  }
  /** @type {Map<string, BundledPackage>} */
  const packages = new Map();
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const key = `${manifest.name}@${manifest.version}`;
    if (!packages.has(key)) packages.set(key, { name: manifest.name, version: manifest.version, licence: manifestLicence(manifest), dir });
  }
  return [...packages.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}
