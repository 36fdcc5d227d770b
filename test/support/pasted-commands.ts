import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { ExitCode } from '../../src/errors.js';

const noNetwork = path.resolve(import.meta.dirname, '../cli/no-network.mjs');

/** A POSIX shell in which a printed command is pasted. */
export interface Shell {
  run(line: string): { code: number | null; out: string };
  /** Runs a command that follows until Ctrl-C, and stops it once it has printed `until`; returns what it printed. */
  follow(line: string, until: string): Promise<string>;
}

/** A shell in `cwd` with exactly `env`, in which every Node process (npm's too) is kept off the network. */
export function userShell(cwd: string, env: NodeJS.ProcessEnv): Shell {
  const fullEnv = { ...env, NODE_OPTIONS: `--import=${pathToFileURL(noNetwork).href}` };
  return {
    run: (line) => {
      const result = spawnSync('sh', ['-c', line], { cwd, encoding: 'utf8', env: fullEnv, timeout: 60_000 });
      return { code: result.status, out: result.stdout + result.stderr };
    },
    // A Ctrl-C in a terminal reaches every process of the command (npx and the program it started) at once.
    follow: (line, until) =>
      new Promise((resolve, reject) => {
        const child = spawn('sh', ['-c', line], { cwd, env: fullEnv, detached: true });
        let out = '';
        const timer = setTimeout(() => {
          process.kill(-child.pid!, 'SIGKILL');
          reject(new Error(`never printed ${until}:\n${out}`));
        }, 60_000);
        const read = (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes(until)) process.kill(-child.pid!, 'SIGINT');
        };
        child.stdout.on('data', read);
        child.stderr.on('data', read);
        child.on('close', () => {
          clearTimeout(timer);
          resolve(out);
        });
      }),
  };
}

/** Runs each command under "Next:" after a setup of deployment demo exactly as printed, each starting with `program`; tail-logs until it follows the logs. */
export async function expectNextLinesRun(output: string, program: string, sh: Shell): Promise<void> {
  const next = /\nNext:\n((?: {2}.+\n?)+)/.exec(output)?.[1]?.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  expect(next, output).toHaveLength(2);
  for (const line of next!) expect(line.startsWith(`${program} `), line).toBe(true);
  const [send, tail] = next!;
  const sent = sh.run(send!);
  expect(sent.code, sent.out).toBe(ExitCode.Success);
  expect(sent.out).toContain('Verified:');
  const tailed = await sh.follow(tail!, 'Following /aws/lambda/demo-consumer');
  // A shell that cannot find the program says "<name>: not found".
  expect(tailed).not.toMatch(/: not found|Error:/);
}
