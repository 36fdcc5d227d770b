import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { HealthReport } from '../../src/pipeline/health-report.js';
import { createHarness } from '../support/command-harness.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

async function deployed(): Promise<void> {
  world = twoAccounts();
  expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
}

/** Runs status; returns its exit code, its report (reporter.result), its text and the AWS calls it made. */
async function status(...args: string[]) {
  const results = world.harness.reporter.results.length;
  const lines = world.harness.reporter.lines.length;
  const calls = world.cloud.calls.length;
  const code = await world.harness.run('status', '--name', 'orders', ...args);
  const report = world.harness.reporter.results[results] as HealthReport;
  const text = world.harness.reporter.lines
    .slice(lines)
    .filter((l) => l.level !== 'debug')
    .map((l) => (l.hint ? `${l.text}\n${l.hint}` : l.text))
    .join('\n');
  return { code, report, text, calls: world.cloud.calls.slice(calls) };
}

const stream = () => world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!;
const consumerOf = () => [...stream().consumers.values()][0]!;
const role = () => world.cloud.account(CONSUMER).roles.get('kds-xacct-orders-consumer')!;
const consumerRegion = () => world.cloud.regionState(CONSUMER, REGION)!;

type Doc = { Version: string; Statement: Array<Record<string, unknown>> };
const parse = (json: string | undefined) => JSON.parse(json ?? '{}') as Doc;

describe('status of a healthy deployment', () => {
  it("reports every resource in both accounts, the mapping, encryption and Lambda's own verdict, and exits 0", async () => {
    await deployed();
    const { code, report, text, calls } = await status();
    expect(code).toBe(ExitCode.Success);
    expect(calls.filter((c) => c.mutating)).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.resources.map((r) => [r.account, r.step, r.status, r.origin])).toEqual([
      ['producer', 'kms-key', 'ok', 'created'],
      ['producer', 'stream', 'ok', 'created'],
      ['producer', 'stream-encryption', 'ok', 'created'],
      ['producer', 'efo-consumer', 'ok', 'created'],
      ['consumer', 'role', 'ok', 'created'],
      ['consumer', 'role-policy', 'ok', 'created'],
      ['consumer', 'log-group', 'ok', 'created'],
      ['consumer', 'failure-queue', 'ok', 'created'],
      ['consumer', 'function', 'ok', 'created'],
      ['producer', 'stream-policy', 'ok', 'created'],
      ['producer', 'consumer-policy', 'ok', 'created'],
      ['producer', 'kms-grant', 'ok', 'created'],
      ['consumer', 'event-source-mapping', 'ok', 'created'],
    ]);
    const states = Object.fromEntries(report.resources.map((r) => [r.step, r.state]));
    expect(states).toMatchObject({ 'kms-key': 'Enabled', stream: 'ACTIVE', 'stream-encryption': 'KMS', 'efo-consumer': 'ACTIVE', function: 'Active', 'event-source-mapping': 'Enabled' });
    expect(report.stream?.encryption).toMatchObject({ type: 'KMS', ours: true });
    expect(report.eventSourceMapping).toMatchObject({ state: 'Enabled', stateTransitionReason: 'User action', lastProcessingResult: 'No records processed' });
    expect(report.delivery).toEqual({ status: 'ok', signals: [] });
    expect(text).toContain('Delivery, as Lambda reports it: no problem reported.');
    expect(text).toContain('Healthy.');
    // By name, grouped by account; off a terminal every ARN is listed whole, one per line.
    expect(text).toContain(`Consumer account ${CONSUMER} (${REGION}):\n  origin   state    check  resource\n  created  -        ok     role kds-xacct-orders-consumer\n`);
    expect(text).toMatch(/^ {2}created {2}Enabled {2}ok {5}event source mapping orders-consumer ← orders-222222222222-efo$/m);
    expect(text).toContain(`ARNs:\n  ${report.resources[0]!.id}\n  ${stream().arn}\n`);
  });

  it('prints one JSON document on stdout with --json', async () => {
    await deployed();
    const json = createHarness({ sessions: world.sessions, clock: world.clock, store: world.store, realReporter: true });
    const code = await json.run('status', '--name', 'orders', '--json');
    expect(code).toBe(ExitCode.Success);
    const report = JSON.parse(json.stdout.text) as HealthReport;
    expect(Object.keys(report).sort()).toEqual(['accounts', 'delivery', 'deployment', 'eventSourceMapping', 'exitCode', 'findings', 'flow', 'healthy', 'resources', 'stream']);
    expect(report).toMatchObject({ exitCode: ExitCode.Success });
    expect(report).toMatchObject({
      deployment: 'orders',
      healthy: true,
      accounts: { producer: { accountId: PRODUCER, region: REGION, profile: 'prod' }, consumer: { accountId: CONSUMER, region: REGION, profile: 'analytics' } },
      findings: [],
    });
    expect(report.resources).toHaveLength(13);
    for (const r of report.resources) expect(Object.keys(r)).toEqual(expect.arrayContaining(['step', 'account', 'title', 'status']));
    // Logs go to stderr as JSON lines, never into the document.
    for (const line of json.stderr.lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('status in a terminal', () => {
  const textOf = (harness: ReturnType<typeof createHarness>) => harness.reporter.lines.map((l) => l.text).join('\n');

  it('names each resource by account and cuts no identifier; the full ARNs are listed whole where they fit, or with --arns', async () => {
    await deployed();
    const arns = [...new Set((await status()).report.resources.flatMap((r) => (r.id?.startsWith('arn:') ? [r.id] : [])))];
    const at = (columns: number) => createHarness({ sessions: world.sessions, clock: world.clock, store: world.store, stdoutIsTTY: true, stdoutColumns: columns });

    const narrow = at(80);
    expect(await narrow.run('status', '--name', 'orders')).toBe(ExitCode.Success);
    const text = textOf(narrow);
    expect(text.split('\n').filter((line) => [...line].length >= 80)).toEqual([]);
    expect(text).not.toContain('…');
    expect(text).toMatch(/^ {2}created {2}ACTIVE {3}ok {5}EFO consumer orders-222222222222-efo$/m);
    expect(text).not.toMatch(/^ARNs:$/m);
    expect(text).toContain('Full ARNs: `kds-xacct status --name orders --arns`, or --json.');

    const asked = at(80);
    expect(await asked.run('status', '--name', 'orders', '--arns')).toBe(ExitCode.Success);
    expect(textOf(asked)).toContain(`ARNs:\n${arns.map((arn) => `  ${arn}`).join('\n')}\n`);

    const wide = at(130);
    expect(await wide.run('status', '--name', 'orders')).toBe(ExitCode.Success);
    expect(textOf(wide)).toContain(`ARNs:\n${arns.map((arn) => `  ${arn}`).join('\n')}\n`);
  });
});

describe('status finds drift, and setup repairs it', () => {
  it('reports our stream policy statement removed by someone else, and a setup re-run puts it back', async () => {
    await deployed();
    const others = { Sid: 'AnalyticsTeam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` }, Action: ['kinesis:DescribeStreamSummary'], Resource: stream().arn };
    stream().policy.set(JSON.stringify({ Version: '2012-10-17', Statement: [others] }), world.clock.now());

    const broken = await status();
    expect(broken.code).toBe(ExitCode.Failed);
    expect(broken.report.healthy).toBe(false);
    expect(broken.report.resources.find((r) => r.step === 'stream-policy')?.status).toBe('drifted');
    expect(broken.report.findings).toHaveLength(1);
    const [finding] = broken.report.findings;
    expect(finding).toMatchObject({ severity: 'error', step: 'stream-policy', account: 'producer' });
    expect(finding!.fix).toBe('run `kds-xacct setup --name orders` again to repair');
    expect(broken.text).toContain(
      `✖ [producer] stream policy: read access for role kds-xacct-orders-consumer differs from what setup wrote (drift): our statement was removed; it will be put back; the policy already holds another statement (AnalyticsTeam), which is kept: run \`kds-xacct setup --name orders\` again to repair`,
    );
    expect(broken.calls.filter((c) => c.mutating)).toEqual([]);

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const repaired = await status();
    expect(repaired.code).toBe(ExitCode.Success);
    expect(repaired.report.findings).toEqual([]);
    // The other statement is kept.
    expect(parse(stream().policy.current).Statement.map((s) => s['Sid'])).toContain('AnalyticsTeam');
  });

  it('reports SubscribeToShard missing from our consumer policy statement, and what Lambda then reports once records arrive', async () => {
    await deployed();
    const doc = parse(consumerOf().policy.current);
    for (const s of doc.Statement) s['Action'] = (s['Action'] as string[]).filter((a) => a !== 'kinesis:SubscribeToShard');
    consumerOf().policy.set(JSON.stringify(doc), world.clock.now());

    const drifted = await status();
    expect(drifted.code).toBe(ExitCode.Failed);
    expect(drifted.report.findings.map((f) => f.step)).toEqual(['consumer-policy']);
    expect(drifted.report.findings[0]!.message).toBe('consumer policy: read access for role kds-xacct-orders-consumer differs from what setup wrote (drift): it no longer allows kinesis:SubscribeToShard; it will be rewritten');
    expect(drifted.report.delivery?.status).toBe('ok');

    // Lambda reports the problem itself once it tries to read: the verdict a check of our own statements cannot give.
    await world.clock.sleep(60_000);
    expect(await world.harness.run('send-test-record', '--name', 'orders')).toBe(ExitCode.Success);
    await world.clock.sleep(10_000);
    const broken = await status();
    expect(broken.report.delivery).toMatchObject({ status: 'problem', signals: [{ cause: 'consumer-access' }] });
    expect(broken.report.findings.map((f) => f.step)).toEqual(['consumer-policy', 'event-source-mapping']);
    const reported = broken.report.findings[1]!;
    // In IAM's words for the role's session, as Lambda relays a refused read (MAPPING_READ_DENIED in src/sandbox/aws-error-texts.ts).
    expect(reported.message).toMatch(/^event source mapping \S+ reports PROBLEM: User: arn:aws:sts::\d{12}:assumed-role\/[^/]+\/awslambda_\d+_\d{17} is not authorized to perform: kinesis:SubscribeToShard on resource: arn:aws:kinesis:\S+\/consumer\/\S+$/);
    expect(reported.fix).toContain('kinesis:DescribeStreamConsumer and kinesis:SubscribeToShard from both its own policy and the consumer policy');
    expect(broken.text).toContain('Delivery, as Lambda reports it: PROBLEM (see below).');

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).report.resources.find((r) => r.step === 'consumer-policy')?.status).toBe('ok');
  });

  it("reports a changed inline policy on the consumer role, and a setup re-run rewrites it", async () => {
    await deployed();
    const current = role().inline.current!;
    const doc = parse(current['kds-xacct-orders']);
    doc.Statement = doc.Statement.filter((s) => s['Sid'] !== 'DecryptStreamRecords');
    role().inline.set({ ...current, 'kds-xacct-orders': JSON.stringify(doc) }, world.clock.now());

    const broken = await status();
    expect(broken.code).toBe(ExitCode.Failed);
    expect(broken.report.resources.find((r) => r.step === 'role-policy')?.status).toBe('drifted');
    expect(broken.report.findings).toHaveLength(1);
    expect(broken.report.findings[0]).toMatchObject({ step: 'role-policy', account: 'consumer' });
    expect(broken.report.findings[0]!.message).toContain('(drift): statement DecryptStreamRecords is gone (it allowed kms:Decrypt); it will be rewritten');

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).report.healthy).toBe(true);
  });

  it('reports a revoked KMS grant', async () => {
    await deployed();
    const key = [...world.cloud.regionState(PRODUCER, REGION)!.keys.values()].find((k) => k.keyManager === 'CUSTOMER')!;
    for (const g of key.grants) g.removedAt = world.clock.now();
    const broken = await status();
    expect(broken.code).toBe(ExitCode.Failed);
    expect(broken.report.resources.find((r) => r.step === 'kms-grant')?.status).toBe('missing');
    expect(broken.report.findings.map((f) => f.step)).toEqual(['kms-grant']);
    expect(broken.report.findings[0]!.message).toBe('KMS grant kds-xacct-orders-222222222222 is missing (setup had made it)');
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).report.healthy).toBe(true);
  });
});

describe('status finds unhealthy resources', () => {
  it('reports a Disabled event source mapping with its reason, and setup enables it again', async () => {
    await deployed();
    const esm = [...consumerRegion().esms.values()][0]!;
    esm.phase = { state: 'Disabled', until: Number.NEGATIVE_INFINITY, then: 'Disabled' };
    esm.stateTransitionReason = 'User action';

    const { code, report, text } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(report.eventSourceMapping).toMatchObject({ uuid: esm.uuid, state: 'Disabled', stateTransitionReason: 'User action' });
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'error', step: 'event-source-mapping', account: 'consumer', fix: 'run `kds-xacct setup --name orders` again to repair' }),
    ]);
    expect(text).toContain('differs from what setup wrote (drift): it is Disabled (User action)');
    // And setup does repair it: the mapping is enabled again.
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).code).toBe(ExitCode.Success);
  });

  it('tells a KMS grant still taking effect (a warning) from a KMS access problem (an error) by the grant\'s age', async () => {
    await deployed();
    const esm = [...consumerRegion().esms.values()][0]!;
    esm.lastProcessingResult = `PROBLEM: KMSAccessDeniedException: User ${role().arn} is not authorized to decrypt records in stream ${stream().arn}.`;
    const grant = [...world.cloud.regionState(PRODUCER, REGION)!.keys.values()].find((k) => k.keyManager === 'CUSTOMER')!.grants[0]!;

    grant.createdAt = world.clock.now() - 60_000;
    const fresh = await status();
    expect(fresh.code).toBe(ExitCode.Success);
    expect(fresh.report.delivery).toMatchObject({ status: 'pending', signals: [{ cause: 'kms-grant-propagating' }] });
    expect(fresh.report.findings).toEqual([expect.objectContaining({ severity: 'warning', step: 'event-source-mapping' })]);
    expect(fresh.text).toMatch(/! \[consumer\] the KMS grant is not yet in effect \(created 60 s ago\): .*: wait up to 240 s more: grants usually work everywhere within 5 minutes/);

    grant.createdAt = world.clock.now() - 6 * 60_000;
    const old = await status();
    expect(old.code).toBe(ExitCode.Failed);
    expect(old.report.findings).toEqual([expect.objectContaining({ severity: 'error', step: 'event-source-mapping' })]);
    expect(old.report.findings[0]!.message).toContain("the consumer role cannot decrypt the stream's records");
    expect(old.report.findings[0]!.fix).toContain('kms:Decrypt');
  });

  it('reports a failing LastProcessingResult', async () => {
    await deployed();
    const esm = [...consumerRegion().esms.values()][0]!;
    esm.lastProcessingResult = 'PROBLEM: Function call failed';
    const { code, report } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(report.findings[0]!.message).toContain('PROBLEM: Function call failed');
    expect(report.findings[0]!.fix).toContain('kds-xacct tail-logs --name orders');
  });

  it('reports a deleted function as missing, leaves what depends on it unchecked, and setup recreates it', async () => {
    await deployed();
    consumerRegion().functions.delete('orders-consumer');
    const { code, report, text } = await status();
    expect(code).toBe(ExitCode.Failed);
    const byStep = Object.fromEntries(report.resources.map((r) => [r.step, r]));
    expect(byStep['function']).toMatchObject({ status: 'missing', origin: 'created' });
    expect(byStep['event-source-mapping']).toMatchObject({ status: 'unchecked', detail: 'not checked: function must be repaired first' });
    expect(report.findings.map((f) => f.step)).toEqual(['function']);
    expect(text).toContain('function orders-consumer is missing (setup had made it): run `kds-xacct setup --name orders');

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).code).toBe(ExitCode.Success);
  });

  it('reports a deleted log group as missing, and setup makes it again', async () => {
    await deployed();
    consumerRegion().logGroups.delete('/aws/lambda/orders-consumer');
    const { code, report, text } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(report.resources.find((r) => r.step === 'log-group')).toMatchObject({ status: 'missing', origin: 'created' });
    expect(report.findings.map((f) => f.step)).toEqual(['log-group']);
    expect(text).toContain('log group /aws/lambda/orders-consumer is missing (setup had made it)');

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).code).toBe(ExitCode.Success);
    expect(consumerRegion().logGroups.get('/aws/lambda/orders-consumer')).toMatchObject({ retentionInDays: 30 });
  });

  it("reports a changed retention of our log group as drift, but never an adopted group's", async () => {
    await deployed();
    consumerRegion().logGroups.get('/aws/lambda/orders-consumer')!.retentionInDays = 1;
    const { code, report } = await status();
    expect(code).toBe(ExitCode.Failed);
    expect(report.findings).toEqual([
      expect.objectContaining({ step: 'log-group', message: 'log group /aws/lambda/orders-consumer differs from what setup wrote (drift): its logs are kept 1 day, the config says 30 days' }),
    ]);

    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
    world.cloud.seedLogGroup(CONSUMER, REGION, '/aws/lambda/clicks-reader', { retentionInDays: 1 });
    expect(await world.setup('--name', 'clicks', '--function-name', 'clicks-reader', '--use-existing-function')).toBe(ExitCode.Success);
    const adopted = await world.harness.run('status', '--name', 'clicks');
    expect(adopted).toBe(ExitCode.Success);
    expect((world.harness.reporter.results.at(-1) as HealthReport).resources.find((r) => r.step === 'log-group')).toMatchObject({ status: 'ok', origin: 'adopted' });
  });

  it('reports a key scheduled for deletion with the commands that cancel it', async () => {
    await deployed();
    const key = [...world.cloud.regionState(PRODUCER, REGION)!.keys.values()].find((k) => k.keyManager === 'CUSTOMER')!;
    key.deletionDate = world.clock.now() + 7 * 86_400_000;
    key.pendingWindowInDays = 7;
    const { code, report } = await status();
    expect(code).toBe(ExitCode.Failed);
    const finding = report.findings.find((f) => f.step === 'kms-key');
    expect(finding?.message).toContain('scheduled for deletion');
    // Pasted, it must reach the producer account whatever the shell's default profile is.
    expect(finding?.fix).toContain(`aws kms cancel-key-deletion --key-id ${key.keyId} --profile prod --region ${REGION}`);
  });

  it('without a state file, checks the default names from the flags', async () => {
    await deployed();
    await world.store.remove('orders');
    const { code, report, text } = await status('--producer-profile', 'prod', '--consumer-profile', 'analytics');
    expect(code).toBe(ExitCode.Success);
    expect(report.healthy).toBe(true);
    expect(text).toContain('No state file for deployment "orders"');
  });

  it('on a name that was never deployed, says there is no such deployment and exits 2, as for any unknown name', async () => {
    world = twoAccounts();
    const { code, report, text } = await status('--producer-profile', 'prod', '--consumer-profile', 'analytics');
    expect(code).toBe(ExitCode.Usage);
    expect(report).toBeUndefined();
    expect(text).toContain(
      `There is no deployment "orders": no state file (${world.store.describe('orders')}), and none of its resources by their default names in account ${PRODUCER} or ${CONSUMER} in ${REGION}.`,
    );
    expect(text).toContain(
      'Check --name (and --state-dir if the state lives elsewhere), or run `kds-xacct setup --name orders --producer-profile prod --consumer-profile analytics --region eu-west-1` to create it.',
    );
    expect(text).not.toContain('Not healthy');
  });

  it('after a complete teardown, finds the accounts from its record and says when it was torn down', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.harness.run('teardown', '--name', 'orders', '--yes')).toBe(ExitCode.Success);
    const tornDownAt = new Date(world.clock.now()).toISOString();
    const { code, text } = await status();
    expect(code).toBe(ExitCode.Usage);
    expect(text).toContain(`There is no deployment "orders": it was torn down at ${tornDownAt}, and none of its resources by their default names in account ${PRODUCER} or ${CONSUMER}`);
  });

  it('without a state file, reports what is left of a deployment, and what is missing', async () => {
    await deployed();
    await world.store.remove('orders');
    consumerRegion().functions.delete('orders-consumer');
    const { code, report } = await status('--producer-profile', 'prod', '--consumer-profile', 'analytics');
    expect(code).toBe(ExitCode.Failed);
    expect(report.resources.find((r) => r.step === 'function')).toMatchObject({ status: 'missing' });
    expect(report.resources.find((r) => r.step === 'stream')).toMatchObject({ status: 'ok', origin: 'created' });
    // No state file will give the repair its accounts: the command printed carries them.
    expect(report.findings.find((f) => f.step === 'function')?.fix).toContain('`kds-xacct setup --name orders --producer-profile prod --consumer-profile analytics --region eu-west-1`');
  });
});

describe('status reports every problem it can see in one run', () => {
  it('a missing inline policy, a drifted consumer policy and a drifted mapping together', async () => {
    await deployed();
    role().inline.set({}, world.clock.now());
    const doc = parse(consumerOf().policy.current);
    for (const s of doc.Statement) s['Action'] = (s['Action'] as string[]).filter((a) => a !== 'kinesis:SubscribeToShard');
    consumerOf().policy.set(JSON.stringify(doc), world.clock.now());
    [...consumerRegion().esms.values()][0]!.batchSize = 7;

    const { code, report, text } = await status();
    expect(code).toBe(ExitCode.Failed);
    const byStep = Object.fromEntries(report.resources.map((r) => [r.step, r.status]));
    expect(byStep).toMatchObject({ 'role-policy': 'missing', 'consumer-policy': 'drifted', 'event-source-mapping': 'drifted' });
    expect(report.findings.map((f) => f.step)).toEqual(['role-policy', 'consumer-policy', 'event-source-mapping']);
    expect(text).toContain('differs from what setup wrote (drift): BatchSize is 7, the config says 100');
    expect(text).not.toContain('not checked');

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await status()).report.healthy).toBe(true);
  });

  it('checks what only hangs on the stream while its encryption is off, and says why what truly depends on a missing resource is not checked', async () => {
    await deployed();
    stream().encryption = { type: 'NONE' };
    const unencrypted = await status();
    expect(unencrypted.report.resources.find((r) => r.step === 'stream-encryption')).toMatchObject({ status: 'drifted' });
    expect(unencrypted.report.resources.filter((r) => r.status === 'unchecked')).toEqual([]);
    expect(unencrypted.report.findings.map((f) => f.step)).toEqual(['stream-encryption']);

    stream().encryption = { type: 'KMS', keyId: (await world.store.load('orders'))!.steps['kms-key']!.outputs.keyArn! };
    for (const c of stream().consumers.values()) stream().consumers.delete(c.name);
    const { report } = await status();
    const byStep = Object.fromEntries(report.resources.map((r) => [r.step, r]));
    expect(byStep['efo-consumer']).toMatchObject({ status: 'missing' });
    expect(byStep['consumer-policy']).toMatchObject({ status: 'unchecked', detail: 'not checked: efo-consumer must be repaired first' });
    expect(byStep['event-source-mapping']).toMatchObject({ status: 'unchecked', detail: 'not checked: efo-consumer must be repaired first' });
    // What does not hang on the consumer is still checked.
    expect(byStep['stream-policy']).toMatchObject({ status: 'ok' });
  });
});

describe('status names the KMS key as it is', () => {
  it('a key setup made for an adopted stream is created, in status as in the state file, and stays so after a re-run', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks' });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Success);
    const key = () => world.store.load('clicks').then((s) => s!.steps['kms-key']!);
    expect(await key()).toMatchObject({ origin: 'created', outputs: { aliasName: 'alias/kds-xacct/clicks' } });

    const code = await world.harness.run('status', '--name', 'clicks');
    const report = world.harness.reporter.results.at(-1) as HealthReport;
    expect(code).toBe(ExitCode.Success);
    expect(report.resources.find((r) => r.step === 'kms-key')).toMatchObject({ origin: 'created', title: 'KMS key alias/kds-xacct/clicks' });
    expect(world.harness.reporter.text).toContain("(the deployment's KMS key alias/kds-xacct/clicks)");

    // A re-run must not take the key for the stream's own, or teardown would keep it for ever.
    expect(await world.setup('--name', 'clicks')).toBe(ExitCode.Success);
    expect(await key()).toMatchObject({ origin: 'created', outputs: { aliasName: 'alias/kds-xacct/clicks' } });
  });

  for (const [how, alias] of [['its alias', 'alias/clickstream'], ['its ARN, having no alias', undefined]] as const) {
    it(`the stream's own key by ${how}, kept, in status and teardown`, async () => {
      world = twoAccounts();
      const keyId = world.cloud.seedKey(PRODUCER, REGION, alias ? { alias } : {});
      const keyArn = `arn:aws:kms:${REGION}:${PRODUCER}:key/${keyId}`;
      world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', encryption: { keyId: keyArn } });
      expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream')).toBe(ExitCode.Success);
      const shown = alias ?? keyArn;
      expect(world.harness.reporter.text).toContain(`KMS key for stream clicks (the stream's own key ${shown})`);

      expect(await world.harness.run('status', '--name', 'clicks')).toBe(ExitCode.Success);
      const report = world.harness.reporter.results.at(-1) as HealthReport;
      expect(report.resources.find((r) => r.step === 'kms-key')).toMatchObject({ origin: 'adopted', title: `the stream's own KMS key ${shown}` });
      expect(world.harness.reporter.text).toContain(`Stream encryption: KMS (the stream's own KMS key ${shown}, kept on teardown)\n  ${keyArn}`);

      expect(await world.harness.run('teardown', '--name', 'clicks', '--yes')).toBe(ExitCode.Success);
      expect(world.harness.reporter.text).toContain(`= keep the stream's own KMS key ${shown} (adopted`);
      expect(world.harness.reporter.text).not.toContain('alias/kds-xacct/clicks');
    });
  }

  it("a second deployment on an adopted stream calls the first one's key by its real alias, never by an alias of its own", async () => {
    await deployed();
    expect(
      await world.harness.run('setup', '--producer-profile', 'prod', '--consumer-profile', 'marketing', '--yes', '--name', 'orders-mkt', '--stream-name', 'orders-stream', '--use-existing-stream'),
    ).toBe(ExitCode.Success);
    const lines = world.harness.reporter.lines.length;
    expect(await world.harness.run('status', '--name', 'orders-mkt')).toBe(ExitCode.Success);
    expect(await world.harness.run('teardown', '--name', 'orders-mkt', '--yes')).toBe(ExitCode.Success);
    const text = world.harness.reporter.lines.slice(lines).map((l) => l.text).join('\n');
    expect(text).toContain("(the stream's own KMS key alias/kds-xacct/orders, kept on teardown)");
    expect(text).toContain("= keep the stream's own KMS key alias/kds-xacct/orders (adopted");
    expect(text).not.toContain('alias/kds-xacct/orders-mkt');
  });
});

describe("the commands in status's fixes", () => {
  it('run as printed, with the state folder the run was given', async () => {
    await deployed();
    role().inline.set({}, world.clock.now());
    [...consumerRegion().esms.values()][0]!.lastProcessingResult = 'PROBLEM: Function call failed';
    const broken = await status('--state-dir', 'ci/state');
    expect(broken.code).toBe(ExitCode.Failed);
    const commands = new Set(broken.report.findings.flatMap((f) => [...f.fix.matchAll(/`(kds-xacct [^`]*)`/g)].map((m) => m[1]!)));
    expect(commands).toEqual(new Set(['kds-xacct setup --name orders --state-dir ci/state', 'kds-xacct tail-logs --name orders --state-dir ci/state --since 1h --no-follow']));
    // Without a terminal, setup applies only with the --yes a person adds (README).
    for (const command of commands) expect(await world.harness.run(...command.split(' ').slice(1), ...(command.includes(' setup ') ? ['--yes'] : [])), command).toBe(ExitCode.Success);
    // The repair command repaired what it was printed for.
    expect((await status('--state-dir', 'ci/state')).report.findings.map((f) => f.step)).not.toContain('role-policy');
  });
});
