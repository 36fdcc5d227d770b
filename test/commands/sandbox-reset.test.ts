import { describe, expect, it } from 'vitest';
import { runSandboxReset } from '../../src/commands/sandbox.js';
import { createContext, type GlobalOptions } from '../../src/context.js';
import { MemoryStateStore, newState } from '../../src/deployment/store.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { RecordingReporter } from '../../src/render/recording.js';
import { createHarness, stubSessionFactory } from '../support/command-harness.js';

/** `sandbox reset` over a sandbox holding deployment demo, in a terminal answered `answer` or without one. */
async function sandboxWithDemo(options: { terminal: boolean; answer?: boolean; yes?: boolean }) {
  const store = new MemoryStateStore();
  await store.save(newState('demo', 'setup', new Date(0)));
  const harness = createHarness({ sessions: stubSessionFactory({}), store, stdoutIsTTY: options.terminal });
  const resets: string[] = [];
  const asked: string[] = [];
  Object.assign(harness.environment, {
    stdinIsTTY: options.terminal,
    sandbox: { banner: async () => 'SANDBOX', reset: async () => void resets.push('reset') },
    prompter: async () => ({
      confirm: async ({ message }: { message: string }) => {
        asked.push(message);
        return options.answer === true;
      },
    }),
  });
  const globals: GlobalOptions = { stateDir: '.kds-xacct/sandbox', program: ['kds-xacct'], yes: options.yes === true, json: false, color: false, debug: false, sandbox: true };
  const reporter = new RecordingReporter();
  const run = () => runSandboxReset(createContext(globals, harness.environment, reporter));
  return { run, reporter, resets, asked };
}

describe('sandbox reset', () => {
  it('names the deployments it will discard and asks, defaulting to No; a No changes nothing', async () => {
    const { run, reporter, resets, asked } = await sandboxWithDemo({ terminal: true, answer: false });
    expect(await run()).toBe(ExitCode.Success);
    expect(reporter.text).toContain(`Reset empties the sandbox's accounts and forgets its 1 deployment(s), "demo".`);
    expect(asked).toEqual(['Reset the sandbox?']);
    expect(reporter.text).toContain('Nothing was changed.');
    expect(resets).toEqual([]);
  });

  it('a Yes resets, and says which deployments it forgot', async () => {
    const { run, reporter, resets } = await sandboxWithDemo({ terminal: true, answer: true });
    expect(await run()).toBe(ExitCode.Success);
    expect(resets).toEqual(['reset']);
    expect(reporter.text).toContain('(it forgot "demo")');
  });

  it('without a terminal needs --yes: exit 2 with the deployments named, and nothing changed', async () => {
    const { run, resets } = await sandboxWithDemo({ terminal: false });
    const refused = run();
    await expect(refused).rejects.toThrow(UserError);
    await expect(refused).rejects.toMatchObject({ exitCode: ExitCode.Usage, hint: 'Pass --yes to reset unattended.', message: expect.stringContaining('"demo"') });
    expect(resets).toEqual([]);
  });

  it('with --yes resets without asking', async () => {
    const { run, resets, asked } = await sandboxWithDemo({ terminal: false, yes: true });
    expect(await run()).toBe(ExitCode.Success);
    expect(resets).toEqual(['reset']);
    expect(asked).toEqual([]);
  });
});
