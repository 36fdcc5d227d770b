import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import xterm from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
const noNetwork = path.resolve(import.meta.dirname, 'no-network.mjs');

/** Every step a new deployment runs, as its finished line starts. */
const steps = [
  'KMS key alias/kds-xacct/demo [producer]',
  'stream demo-stream [producer]',
  'SSE-KMS encryption of demo-stream [producer]',
  'EFO consumer demo-222222222222-efo [producer]',
  'stream policy statem',
  'consumer policy stat',
  'KMS grant kds-xacct-demo-222222222222 [producer]',
  'role kds-xacct-demo-consumer [consumer]',
  'inline policy kds-xacct-demo [consumer]',
  'log group /aws/lambda/demo-consumer [consumer]',
  'failure queue demo-failed-batches [consumer]',
  'function demo-consumer [consumer]',
  'event source mapping',
];

/**
 * Runs the built binary on a pseudo-terminal of `cols` columns (util-linux `script`; `stty` sets the
 * window size the program reads) and plays what it wrote into a terminal emulator of the same size.
 */
async function runInTerminal(cols: number, args: string[]) {
  const home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-terminal-'));
  const terminal = new xterm.Terminal({ cols, rows: 50, scrollback: 5000, allowProposedApi: true });
  // Paths travel in the environment, so the shell command needs no quoting of them.
  const command = `stty cols ${cols} rows 50 && exec "$NODE" --import "$NO_NETWORK" "$BIN" ${args.join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: home,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      SHELL: '/bin/sh',
      TERM: 'xterm-256color',
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      NODE: process.execPath,
      NO_NETWORK: noNetwork,
      BIN: bin,
    },
  });
  const written: Promise<void>[] = [];
  child.stdout.on('data', (chunk: Buffer) => written.push(new Promise((resolve) => terminal.write(chunk, resolve))));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await Promise.all(written);
  const buffer = terminal.buffer.active;
  const rows = Array.from({ length: buffer.length }, (_, i) => buffer.getLine(i)!);
  const lines = rows.map((row) => row.translateToString(true));
  return { code, lines, wrapped: rows.flatMap((row, i) => (row.isWrapped ? [lines[i - 1]] : [])), screen: lines.join('\n') };
}

describe.each([80, 130])('setup in a terminal of %i columns, as a person sees it', (cols) => {
  it('shows every step finished exactly once with its result, nothing wrapped, and a table that fits', { timeout: 20_000 }, async () => {
    const { code, lines, wrapped, screen } = await runInTerminal(cols, ['setup', '--sandbox', '--name', 'demo', '--yes', '--sandbox-speed', '100']);
    expect(code, screen).toBe(ExitCode.Success);
    const finished = lines.filter((line) => line.startsWith('✔ '));
    expect(finished, screen).toHaveLength(steps.length);
    for (const step of steps) expect(finished.filter((line) => line.startsWith(`✔ ${step}`)), `${step}\n${screen}`).toHaveLength(1);
    for (const line of finished) expect(line).toMatch(/: created \d+(ms|\.\ds)$/);
    // The live block of steps in flight is gone once the run is over.
    expect(lines.filter((line) => /^[\u2800-\u28ff] /.test(line)), screen).toEqual([]);
    expect(wrapped, screen).toEqual([]);

    const header = lines.findIndex((line) => line.startsWith('account   resource'));
    const table = lines.slice(header + 2, header + 2 + steps.length);
    expect(table.every((row) => /^(producer|consumer) {2}/.test(row)), screen).toBe(true);
    expect(table.some((row) => row.includes('…'))).toBe(true);
    if (cols === 130) expect(screen).toContain('arn:aws:kinesis:eu-west-1:111111111111:stream/demo-stream\n');
  });
});
