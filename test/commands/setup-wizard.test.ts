import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, InterruptedError } from '../../src/errors.js';
import { runCli } from '../../src/program.js';
import { scriptedPrompter, type ScriptedAnswer } from '../support/scripted-prompter.js';
import { twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

/** Runs `setup` as on a terminal, answering the wizard from the script. */
function wizard(script: ScriptedAnswer[], ...args: string[]) {
  const prompter = scriptedPrompter(script);
  const environment = { ...world.harness.environment, stdinIsTTY: true, stdoutIsTTY: true, prompter: async () => prompter };
  return { prompter, run: () => runCli(['setup', ...args], environment) };
}

const questions: ScriptedAnswer[] = [
  [/Profile of the producer/, 'prod'],
  [/Profile of the consumer/, 'analytics'],
  [/Region/, undefined],
  [/Deployment name/, 'orders'],
  [/^Stream:/, undefined],
  [/New stream name/, undefined],
  [/Capacity mode/, 'provisioned'],
  [/Shard count/, '2'],
  [/KMS key/, undefined],
  [/Consumer function/, undefined],
  [/Function name/, undefined],
  [/Runtime/, 'nodejs24.x'],
  [/Days to keep the function's logs/, '14'],
  [/EFO consumer name/, undefined],
  [/Batch size/, '50'],
  [/Starting position/, undefined],
  [/Maximum retry attempts/, undefined],
  [/Maximum record age/, undefined],
  [/report batches it gives up on/, 'queue'],
];

describe('the setup wizard', () => {
  it('asks every question in order, shows the plan, and applies after one confirmation', async () => {
    world = twoAccounts();
    const { prompter, run } = wizard([...questions, [/Apply 13 change\(s\) in accounts 111111111111 and 222222222222\?/, true]]);
    expect(await run()).toBe(ExitCode.Success);
    expect(prompter.asked).toHaveLength(questions.length + 1);
    const text = world.harness.reporter.text;
    expect(text.indexOf('Producer account 111111111111')).toBeLessThan(text.indexOf('Plan for deployment "orders"'));
    const create = world.cloud.calls.find((c) => c.command === 'CreateStream')!.input as Record<string, unknown>;
    expect(create).toMatchObject({ StreamName: 'orders-stream', ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    expect(world.cloud.calls.find((c) => c.command === 'CreateFunction')!.input).toMatchObject({ Runtime: 'nodejs24.x' });
    expect(world.cloud.calls.find((c) => c.command === 'PutRetentionPolicy')!.input).toMatchObject({ logGroupName: '/aws/lambda/orders-consumer', retentionInDays: 14 });
    expect((await world.store.load('orders'))!.inputs).toMatchObject({ logRetentionDays: 14 });
    expect(world.cloud.calls.find((c) => c.command === 'CreateEventSourceMapping')!.input).toMatchObject({ BatchSize: 50, StartingPosition: 'TRIM_HORIZON' });
  });

  it('offers the existing streams, keys and functions, and adopts the ones picked', async () => {
    world = twoAccounts();
    world.cloud.seedStream('111111111111', 'eu-west-1', { name: 'clicks' });
    world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/team-key' });
    world.cloud.seedFunction('222222222222', 'eu-west-1', { name: 'clicks-reader' });
    const { run } = wizard([
      ...questions.slice(0, 4),
      [/^Stream:/, 'clicks'],
      [/KMS key/, 'alias/team-key'],
      [/Consumer function/, 'clicks-reader'],
      ...questions.slice(12),
      [/Apply/, true],
    ]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    expect([state.steps.stream!.origin, state.steps['kms-key']!.origin, state.steps.function!.origin]).toEqual(['adopted', 'adopted', 'adopted']);
    expect(state.inputs).toMatchObject({ streamName: 'clicks', useExistingStream: true, kmsKey: 'alias/team-key', functionName: 'clicks-reader', useExistingFunction: true });
  });

  it('changes nothing when the plan is declined', async () => {
    world = twoAccounts();
    const { run } = wizard([...questions, [/Apply/, false]]);
    expect(await run()).toBe(ExitCode.Success);
    expect(world.cloud.mutatingCalls()).toEqual([]);
    expect(world.harness.reporter.text).toContain('Nothing was changed.');
  });

  it('exits 130 and touches nothing on Ctrl-C during the questions', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    const { run } = wizard([...questions.slice(0, 5), [/New stream name/, new InterruptedError('Cancelled at a prompt. Nothing was changed.')]]);
    expect(await run()).toBe(ExitCode.Interrupted);
    expect(world.cloud.mutatingCalls()).toEqual([]);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.list()).toEqual([]);
  });

  it('asks only what the flags left open', async () => {
    world = twoAccounts();
    const { prompter, run } = wizard(
      [[/Region/, undefined], [/Days to keep/, undefined], [/Batch size/, undefined], [/Starting position/, 'LATEST'], [/Maximum retry/, '5'], [/Maximum record age/, '-1'], [/report batches it gives up on/, 'queue'], [/Apply/, true]],
      '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', '--stream-name', 'orders-stream',
      '--capacity-mode', 'on-demand', '--kms-key', 'alias/kds-xacct/none', '--function-name', 'orders-fn', '--runtime', 'nodejs22.x', '--consumer-name', 'orders-efo',
    );
    // The key named does not exist: planning stops with a clear error before the confirmation.
    expect(await run()).toBe(ExitCode.Usage);
    expect(prompter.asked.length).toBe(7);
    expect(world.harness.reporter.text).toContain('KMS key alias/kds-xacct/none was not found');
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });
});

describe('conflicts found while planning', () => {
  const flags = ['--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', '--capacity-mode', 'on-demand', '--stream-name', 'orders-stream', '--function-name', 'orders-consumer', '--runtime', 'nodejs22.x', '--log-retention-days', '30', '--consumer-name', 'c', '--batch-size', '100', '--starting-position', 'LATEST', '--max-retries', '3', '--max-record-age', '3600', '--region', 'eu-west-1'];

  it('asks about each same-named resource that is not ours before adopting it', async () => {
    world = twoAccounts();
    world.cloud.seedRole('222222222222', { name: 'kds-xacct-orders-consumer' });
    world.cloud.seedFunction('222222222222', 'eu-west-1', { name: 'orders-consumer', role: 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer' });
    const { prompter, run } = wizard([[/KMS key/, undefined], [/report batches it gives up on/, 'queue'], [/Adopt it\?/, true], [/Adopt it\?/, true], [/Apply/, true]], ...flags);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked.filter((q) => /Adopt it\?/.test(q))).toHaveLength(2);
    expect(world.harness.reporter.text).toContain('IAM role kds-xacct-orders-consumer already exists');
    expect(world.harness.reporter.text).toContain('Function orders-consumer already exists');
    const state = (await world.store.load('orders'))!;
    expect([state.steps.role!.origin, state.steps.function!.origin]).toEqual(['adopted', 'adopted']);
  });

  it('names the step and account of an AWS error while planning', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'GetRole' }, { code: 'AccessDeniedException', message: 'not allowed: iam:GetRole' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('role kds-xacct-orders-consumer failed in the consumer account during check: AccessDeniedException: not allowed: iam:GetRole');
    expect(world.harness.reporter.text).toContain('not allowed to make this call');
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });
});
