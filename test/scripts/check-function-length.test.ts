import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { longFunctions, longFunctionsIn } from '../../scripts/check-function-length.mjs';

const root = path.resolve(import.meta.dirname, '../..');

/** A function of `lines` lines in all: its header, `lines - 2` statements, its closing brace. */
const body = (lines: number) => Array.from({ length: lines - 2 }, (_, i) => `  step(${i});`).join('\n');

describe('longFunctionsIn', () => {
  it('counts the lines of a function, header and closing brace included, against the limit', () => {
    const text = `function atLimit() {\n${body(5)}\n}\nfunction over() {\n${body(6)}\n}\n`;
    expect(longFunctionsIn('a.ts', text, 5)).toEqual([{ file: 'a.ts', name: 'over', line: 6, ownLines: 6 }]);
  });

  it('leaves out of a function the lines of the functions written inside it, and judges those on their own', () => {
    const text = `function outer() {\n  step();\n  const inner = () => {\n${body(6)}\n  };\n  items.map((x) => {\n${body(3)}\n  });\n}\n`;
    expect(longFunctionsIn('a.ts', text, 5)).toEqual([{ file: 'a.ts', name: 'inner', line: 3, ownLines: 6 }]);
  });

  it("names methods by their class, and a function by the variable or property it is assigned to", () => {
    const text = `class Plan {\n  apply() {\n${body(6)}\n  }\n}\nconst handlers = {\n  run: function () {\n${body(6)}\n  },\n};\nexport default () => {\n${body(6)}\n};\n`;
    expect(longFunctionsIn('a.ts', text, 5).map((fn) => fn.name)).toEqual(['Plan.apply', 'run', '(anonymous)']);
  });
});

describe('src/', () => {
  it('has no function over the limit outside src/sandbox/', () => {
    expect(longFunctions(root)).toEqual([]);
  });

  it('fails, naming what to do, on a function too long, and leaves src/sandbox/ alone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-function-length-'));
    mkdirSync(path.join(dir, 'src', 'sandbox'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'long.ts'), `export function tooLong() {\n${body(102)}\n}\n`);
    writeFileSync(path.join(dir, 'src', 'sandbox', 'model.ts'), `export function modelled() {\n${body(150)}\n}\n`);
    const result = spawnSync(process.execPath, [path.join(root, 'scripts/check-function-length.mjs'), '--root', dir], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      'src/long.ts:1 tooLong has 102 lines of its own, more than 100: split it into named functions.',
      '',
    ]);
  });
});
