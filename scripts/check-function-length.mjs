#!/usr/bin/env node
// @ts-check
/**
 * Fails when a function in src/ (outside src/sandbox/, whose models follow AWS's API one operation at a time)
 * has more than MAX_OWN_LINES lines of its own: its lines, less those of the functions written inside it,
 * which are counted on their own. A longer function is one to split into named steps.
 *
 *   node scripts/check-function-length.mjs [--root <checkout>]
 *
 * Exit 0: none too long; 1: a function too long, named with what to do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const MAX_OWN_LINES = 100;

/** @typedef {{ file: string, name: string, line: number, ownLines: number }} LongFunction */

/**
 * @param {ts.Node} node
 * @returns {node is ts.FunctionLikeDeclaration}
 */
function isFunction(node) {
  return ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

/**
 * @param {ts.SourceFile} source
 * @param {ts.Node} node
 */
function lineSpan(source, node) {
  return source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

/**
 * What a function is called where it is written: its own name, else the variable, property or class member
 * it is assigned to, else `(anonymous)`.
 * @param {ts.FunctionLikeDeclaration} fn
 * @param {ts.SourceFile} source
 */
function nameOf(fn, source) {
  const owner = ts.isClassLike(fn.parent) && fn.parent.name ? `${fn.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(fn)) return `${owner}constructor`;
  if (fn.name) return owner + fn.name.getText(source);
  const parent = fn.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText(source);
  return '(anonymous)';
}

/**
 * The functions in one file's text with more than `max` lines of their own.
 * @param {string} file the name to report them under
 * @param {string} text
 * @param {number} [max]
 * @returns {LongFunction[]}
 */
export function longFunctionsIn(file, text, max = MAX_OWN_LINES) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {LongFunction[]} */
  const found = [];
  /**
   * The lines under `node` that belong to functions written inside it, measuring each of those on the way.
   * @param {ts.Node} node
   * @returns {number}
   */
  const nestedLines = (node) => {
    let lines = 0;
    node.forEachChild((child) => {
      if (!isFunction(child)) {
        lines += nestedLines(child);
        return;
      }
      const span = lineSpan(source, child);
      const ownLines = span - nestedLines(child);
      if (ownLines > max) found.push({ file, name: nameOf(child, source), line: source.getLineAndCharacterOfPosition(child.getStart(source)).line + 1, ownLines });
      lines += span;
    });
    return lines;
  };
  nestedLines(source);
  return found;
}

/**
 * Every .ts file under `dir`, relative to `root`, with forward slashes.
 * @param {string} root
 * @param {string} dir
 * @returns {string[]}
 */
function sourceFiles(root, dir) {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return relative === 'src/sandbox' ? [] : sourceFiles(root, relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/**
 * The functions of src/ (outside src/sandbox/) with more than MAX_OWN_LINES lines of their own.
 * @param {string} root the checkout
 * @returns {LongFunction[]}
 */
export function longFunctions(root) {
  return sourceFiles(root, 'src').flatMap((file) => longFunctionsIn(file, readFileSync(path.join(root, file), 'utf8')));
}

function main() {
  const at = process.argv.indexOf('--root');
  const root = at > 0 ? path.resolve(process.argv[at + 1] ?? '') : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const long = longFunctions(root);
  for (const fn of long) console.error(`${fn.file}:${fn.line} ${fn.name} has ${fn.ownLines} lines of its own, more than ${MAX_OWN_LINES}: split it into named functions.`);
  process.exitCode = long.length > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
