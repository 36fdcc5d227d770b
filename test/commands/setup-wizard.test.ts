import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, ExitCode } from '../../src/errors.js';
import { DEFAULTS } from '../../src/pipeline/config.js';
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

/**
 * Enter through the wizard: only the questions without a good default, then "Customise?" No. In accounts
 * with no stream and no function, "create new" is the only choice for either, so neither is asked.
 */
const shortList: ScriptedAnswer[] = [
  [/^Profile of the producer/, 'prod'],
  [/^Profile of the consumer/, 'analytics'],
  [/^Region:/, undefined],
  [/^Deployment name/, 'orders'],
  [/^Customise names, capacity and mapping settings\?/, undefined],
];

/** "Customise?" Yes: every question behind it, in order, with an answer other than the default where it can. */
const customised: ScriptedAnswer[] = [
  ...shortList.slice(0, 4),
  [/^Customise/, true],
  [/^New stream name:/, 'orders-clicks'],
  [/^Capacity mode:/, 'provisioned'],
  [/^Shard count:/, '2'],
  [/^Function name:/, 'orders-reader'],
  [/^Runtime:/, 'nodejs24.x'],
  [/^Days to keep the function's logs/, '14'],
  [/^EFO consumer name:/, 'orders-efo'],
  [/^Batch size:/, '50'],
  [/^Starting position:/, 'LATEST'],
  [/^Maximum retry attempts:/, '5'],
  [/^Maximum record age/, '-1'],
  [/report batches it gives up on/, 'none'],
];

const call = (command: string) => world.cloud.calls.find((c) => c.command === command)?.input as Record<string, unknown> | undefined;

describe('the setup wizard', () => {
  it('asks only what has no good default when Enter is pressed throughout, and sets up with the defaults', async () => {
    world = twoAccounts();
    const script: ScriptedAnswer[] = [...shortList, [/Apply 13 change\(s\) in accounts 111111111111 and 222222222222\?/, true]];
    const { prompter, run } = wizard([...script]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked).toHaveLength(script.length);
    const text = world.harness.reporter.text;
    expect(text.indexOf('Producer account 111111111111')).toBeLessThan(text.indexOf('Plan for deployment "orders"'));
    // Where the questions with one choice would have been, a line says what was taken.
    expect(world.harness.reporter.lines.filter((l) => /^(Stream|Consumer function):/.test(l.text)).map((l) => l.text)).toEqual([
      'Stream: new, orders-stream (the producer account has none yet).',
      'Consumer function: bundled, orders-consumer (the consumer account has none yet).',
    ]);
    expect(call('CreateStream')).toMatchObject({ StreamName: 'orders-stream', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    expect(call('CreateAlias')).toMatchObject({ AliasName: 'alias/kds-xacct/orders' });
    expect(call('CreateFunction')).toMatchObject({ FunctionName: 'orders-consumer', Runtime: DEFAULTS.runtime });
    expect(call('PutRetentionPolicy')).toMatchObject({ logGroupName: '/aws/lambda/orders-consumer', retentionInDays: DEFAULTS.logRetentionDays });
    expect(call('CreateQueue')).toMatchObject({ QueueName: 'orders-failed-batches' });
    expect(call('CreateEventSourceMapping')).toMatchObject({ BatchSize: DEFAULTS.batchSize, StartingPosition: 'TRIM_HORIZON', MaximumRetryAttempts: DEFAULTS.maxRetries, MaximumRecordAgeInSeconds: DEFAULTS.maxRecordAgeSeconds });
  });

  it('reaches every detailed question after "Customise?" Yes, and uses each answer', async () => {
    world = twoAccounts();
    const { prompter, run } = wizard([...customised, [/Apply 12 change\(s\)/, true]]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked).toHaveLength(customised.length + 1);
    expect(call('CreateStream')).toMatchObject({ StreamName: 'orders-clicks', ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    expect(call('CreateFunction')).toMatchObject({ FunctionName: 'orders-reader', Runtime: 'nodejs24.x' });
    expect(call('PutRetentionPolicy')).toMatchObject({ logGroupName: '/aws/lambda/orders-reader', retentionInDays: 14 });
    expect(call('RegisterStreamConsumer')).toMatchObject({ ConsumerName: 'orders-efo' });
    expect(call('CreateQueue')).toBeUndefined();
    const mapping = call('CreateEventSourceMapping')!;
    expect(mapping).toMatchObject({ BatchSize: 50, StartingPosition: 'LATEST', MaximumRetryAttempts: 5, MaximumRecordAgeInSeconds: -1 });
    expect(mapping.DestinationConfig).toBeUndefined();
    expect((await world.store.load('orders'))!.inputs).toMatchObject({ streamName: 'orders-clicks', shards: 2, logRetentionDays: 14, failureDestination: false });
  });

  it('offers AT_TIMESTAMP as the starting position, then asks from when (empty: the start of setup)', async () => {
    for (const typed of ['2025-12-31T23:00:00Z', undefined]) {
      world?.cloud.restore();
      world = twoAccounts();
      const isPosition = (question: RegExp) => question.source === '^Starting position:';
      const atTimestamp = customised.map(([question, answer]): ScriptedAnswer => [question, isPosition(question) ? 'AT_TIMESTAMP' : answer]);
      const at = atTimestamp.findIndex(([question]) => isPosition(question));
      atTimestamp.splice(at + 1, 0, [/^Start at \(ISO 8601, e\.g\. 2025-06-01T09:30:00Z; empty for the start of setup\):/, typed]);
      const { run } = wizard([...atTimestamp, [/Apply 12 change\(s\)/, true]]);
      expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
      const from = typed ?? (await world.store.load('orders'))!.createdAt;
      expect(call('CreateEventSourceMapping')).toMatchObject({ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(from) });
    }
  });

  it('offers the existing streams, keys and functions, and adopts the ones picked', async () => {
    world = twoAccounts();
    world.cloud.seedStream('111111111111', 'eu-west-1', { name: 'clicks' });
    world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/team-key' });
    world.cloud.seedFunction('222222222222', 'eu-west-1', { name: 'clicks-reader' });
    const { prompter, run } = wizard([
      ...shortList.slice(0, 4),
      [/^Stream:/, 'clicks'],
      // The stream is not encrypted yet and the account has a key of its own: a real choice.
      [/^KMS key for the stream:/, 'alias/team-key'],
      [/^Consumer function:/, 'clicks-reader'],
      [/^Customise/, true],
      // No stream name, capacity, function name or runtime: the stream and the function exist.
      [/^Days to keep/, undefined],
      [/^EFO consumer name/, undefined],
      [/^Batch size/, undefined],
      [/^Starting position/, undefined],
      [/^Maximum retry/, undefined],
      [/^Maximum record age/, undefined],
      [/report batches it gives up on/, undefined],
      [/Apply/, true],
    ]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked).toHaveLength(16);
    const state = (await world.store.load('orders'))!;
    expect([state.steps.stream!.origin, state.steps['kms-key']!.origin, state.steps.function!.origin]).toEqual(['adopted', 'adopted', 'adopted']);
    expect(state.inputs).toMatchObject({ streamName: 'clicks', useExistingStream: true, kmsKey: 'alias/team-key', functionName: 'clicks-reader', useExistingFunction: true });
  });

  it('retries the listings it offers when AWS throttles them, as every other call is retried', async () => {
    world = twoAccounts();
    world.cloud.seedStream('111111111111', 'eu-west-1', { name: 'clicks' });
    world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/team-key' });
    world.cloud.seedFunction('222222222222', 'eu-west-1', { name: 'clicks-reader' });
    const listings = ['ListStreams', 'ListAliases', 'ListFunctions'];
    for (const command of listings) world.cloud.throttle(command, 2);
    const { prompter, run } = wizard(
      [...shortList.slice(0, 4), [/^Stream:/, 'clicks'], [/^KMS key for the stream:/, 'alias/team-key'], [/^Consumer function:/, 'clicks-reader'], [/^Customise/, undefined]],
      '--dry-run',
    );
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked.length).toBe(8);
    for (const command of listings) {
      const outcomes = world.cloud.calls.filter((c) => c.command === command).map((c) => c.error ?? 'answered');
      expect(outcomes, command).toEqual([expect.stringMatching(/Throttling|LimitExceeded|TooManyRequests/), expect.stringMatching(/Throttling|LimitExceeded|TooManyRequests/), 'answered']);
    }
  });

  it('offers the customer managed keys for a new stream', async () => {
    world = twoAccounts();
    world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/team-key' });
    const { prompter, run } = wizard([...shortList.slice(0, 4), [/^KMS key for the stream:/, 'alias/team-key'], ...shortList.slice(4), [/Apply/, true]]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked).toHaveLength(shortList.length + 2);
    expect(call('CreateKey')).toBeUndefined();
    expect((await world.store.load('orders'))!.inputs).toMatchObject({ kmsKey: 'alias/team-key' });
  });

  it('does not ask for a key when the existing stream is already encrypted: it keeps its own', async () => {
    world = twoAccounts();
    const keyId = world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/clicks-key' });
    world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/team-key' });
    world.cloud.seedStream('111111111111', 'eu-west-1', { name: 'clicks', encryption: { keyId } });
    const { prompter, run } = wizard([...shortList.slice(0, 4), [/^Stream:/, 'clicks'], ...shortList.slice(4), [/Apply/, true]]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked.some((q) => /^KMS key/.test(q))).toBe(false);
    expect((await world.store.load('orders'))!.steps['kms-key']).toMatchObject({ origin: 'adopted', outputs: { keyId } });
  });

  it("does not offer another deployment's key: its teardown would delete it", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    // The first deployment's stream and function make both of these a real choice.
    const script: ScriptedAnswer[] = [...shortList.slice(0, 3), [/^Deployment name/, 'billing'], [/^Stream:/, undefined], [/^Consumer function:/, undefined], ...shortList.slice(4), [/Apply/, false]];
    const { prompter, run } = wizard([...script]);
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked.some((q) => /^KMS key/.test(q))).toBe(false);
    expect(prompter.asked).toHaveLength(script.length);
  });

  it("says which existing stream is another deployment's, whose key adopting it takes too", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.seedStream('111111111111', 'eu-west-1', { name: 'clicks' });
    const script: ScriptedAnswer[] = [...shortList.slice(0, 3), [/^Deployment name/, 'billing'], [/^Stream:/, 'orders-stream'], [/^Consumer function:/, undefined], ...shortList.slice(4), [/Apply/, false]];
    const { prompter, run } = wizard(script);
    const offered: string[] = [];
    const select = prompter.select.bind(prompter);
    prompter.select = async (options) => {
      if (options.message === 'Stream:') offered.push(...options.choices.map((c) => c.name));
      return select(options);
    };
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(offered).toEqual([
      'Create a new stream (billing-stream)',
      'Use existing: clicks',
      'Use existing: orders-stream (made by deployment "orders"; its key comes too)',
    ]);
  });

  it('asks nothing again on a re-run that starts from the recorded answers', async () => {
    world = twoAccounts();
    world.cloud.seedKey('111111111111', 'eu-west-1', { alias: 'alias/team-key' });
    expect(await world.setup('--name', 'orders', '--batch-size', '50')).toBe(ExitCode.Success);
    const { prompter, run } = wizard([], '--name', 'orders');
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked).toEqual([]);
    expect(world.harness.reporter.text).toContain('is ready (no changes were needed)');
  });

  it('starts from the recorded answers when the name typed is a deployment that exists, as --name does', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--batch-size', '50', '--no-failure-destination')).toBe(ExitCode.Success);
    const { prompter, run } = wizard(shortList.slice(0, 4));
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    // Its stream and function exist now, yet neither is asked about: the deployment recorded them.
    expect(prompter.asked).toHaveLength(4);
    expect(world.harness.reporter.text).toContain('Deployment "orders" exists: using the answers it recorded (as --name orders does).');
    expect(world.harness.reporter.text).toContain('is ready (no changes were needed)');
    expect((await world.store.load('orders'))!.inputs).toMatchObject({ batchSize: 50, failureDestination: false });
  });

  it('changes nothing when the plan is declined', async () => {
    world = twoAccounts();
    const { run } = wizard([...shortList, [/Apply/, false]]);
    expect(await run()).toBe(ExitCode.Success);
    expect(world.cloud.mutatingCalls()).toEqual([]);
    expect(world.harness.reporter.text).toContain('Nothing was changed.');
  });

  it('exits 130 and touches nothing on Ctrl-C during the questions', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    const { run } = wizard([...customised.slice(0, 5), [/^New stream name/, new CancelledError()]]);
    expect(await run()).toBe(ExitCode.Interrupted);
    // Said plainly: nothing went wrong.
    expect(world.harness.reporter.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(world.harness.reporter.text).toContain('Cancelled at a prompt. Nothing was changed.');
    expect(world.cloud.mutatingCalls()).toEqual([]);
    expect(world.cloud.snapshot()).toEqual(before);
    expect(await world.store.list()).toEqual([]);
  });

  it('after "Customise?" Yes asks only what the flags left open', async () => {
    world = twoAccounts();
    const { prompter, run } = wizard(
      [[/^Region/, undefined], [/^Customise/, true], [/^Days to keep/, undefined], [/^Batch size/, undefined], [/^Starting position/, 'LATEST'], [/^Maximum retry/, '5'], [/^Maximum record age/, '-1'], [/report batches it gives up on/, 'queue'], [/Apply/, true]],
      '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', '--stream-name', 'orders-stream',
      '--capacity-mode', 'on-demand', '--kms-key', 'alias/kds-xacct/none', '--function-name', 'orders-fn', '--runtime', 'nodejs22.x', '--consumer-name', 'orders-efo',
    );
    // The key named does not exist: planning stops with a clear error before the confirmation.
    expect(await run()).toBe(ExitCode.Usage);
    expect(prompter.asked.length).toBe(8);
    expect(world.harness.reporter.text).toContain('KMS key alias/kds-xacct/none was not found');
    expect(world.cloud.mutatingCalls()).toEqual([]);
  });

  it('does not ask "Customise?" when flags and --config answered everything it leads to', async () => {
    world = twoAccounts();
    const config = path.join(await mkdtemp(path.join(tmpdir(), 'kds-xacct-')), 'mapping.json');
    await writeFile(config, JSON.stringify({ batchSize: 25, startingPosition: 'LATEST', maxRetries: 2, maxRecordAge: 600, failureDestination: false }));
    const { prompter, run } = wizard(
      [[/Apply/, true]],
      '--config', config, '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--region', 'eu-west-1', '--name', 'orders',
      '--stream-name', 'orders-stream', '--capacity-mode', 'on-demand', '--function-name', 'orders-fn', '--runtime', 'nodejs22.x', '--log-retention-days', '7', '--consumer-name', 'orders-efo',
    );
    expect(await run(), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(prompter.asked).toHaveLength(1);
    expect(call('CreateEventSourceMapping')).toMatchObject({ BatchSize: 25, StartingPosition: 'LATEST', MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: 600 });
  });
});

describe('conflicts found while planning', () => {
  const flags = ['--producer-profile', 'prod', '--consumer-profile', 'analytics', '--name', 'orders', '--capacity-mode', 'on-demand', '--stream-name', 'orders-stream', '--function-name', 'orders-consumer', '--runtime', 'nodejs22.x', '--log-retention-days', '30', '--consumer-name', 'c', '--batch-size', '100', '--starting-position', 'LATEST', '--max-retries', '3', '--max-record-age', '3600', '--region', 'eu-west-1'];

  it('asks about each same-named resource that is not ours before adopting it', async () => {
    world = twoAccounts();
    world.cloud.seedRole('222222222222', { name: 'kds-xacct-orders-consumer' });
    world.cloud.seedFunction('222222222222', 'eu-west-1', { name: 'orders-consumer', role: 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer' });
    const { prompter, run } = wizard([[/^Customise/, undefined], [/Adopt it\?/, true], [/Adopt it\?/, true], [/Apply/, true]], ...flags);
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
