import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import type { HealthReport } from '../../src/pipeline/health-report.js';
import type { MetricAlarm, Topic } from '../../src/sandbox/index.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

type World = ReturnType<typeof twoAccounts>;
let world: World;
afterEach(() => world?.cloud.restore());

const profiles = ['--producer-profile', 'prod', '--consumer-profile', 'analytics'];
const alarmsIn = (account: string) => [...(world.cloud.regionState(account, REGION)!.alarms ?? new Map<string, MetricAlarm>()).values()];
const topicsIn = (account: string) => [...(world.cloud.regionState(account, REGION)!.topics ?? new Map<string, Topic>()).values()];
const mutations = (from: number) => world.cloud.calls.slice(from).filter((c) => c.mutating && !c.error).map((c) => c.command);
const TOPIC = `arn:aws:sns:${REGION}:${CONSUMER}:oncall`;
const ALARM_NAMES = ['consumer-lag', 'records-dropped', 'records-to-failure-destination', 'destination-delivery-failures', 'failure-queue-not-empty'].map((n) => `kds-xacct-orders-${n}`);

describe('setup --alarms', () => {
  it('with --alarm-email makes a tagged topic with a pending email subscription and five alarms, all in the consumer account; a re-run changes nothing', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--alarms', '--alarm-email', 'oncall@example.com'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(await world.harness.run('status', '--name', 'orders', '--json')).toBe(ExitCode.Success);
    expect((world.harness.reporter.results.at(-1) as HealthReport).resources.find((r) => r.step === 'alarms')?.state).toBe('INSUFFICIENT_DATA consumer-lag, records-dropped, records-to-failure-destination, destination-delivery-failures, failure-queue-not-empty');
    expect(world.harness.reporter.text).toContain('SNS sends oncall@example.com a message to confirm the subscription');

    const [topic] = topicsIn(CONSUMER);
    expect(topic).toMatchObject({ name: 'orders-alarms', tags: { 'kds-xacct:deployment': 'orders' }, subscriptions: [{ protocol: 'email', endpoint: 'oncall@example.com' }] });
    expect(alarmsIn(PRODUCER)).toEqual([]);
    const alarms = alarmsIn(CONSUMER);
    expect(alarms.map((a) => a.name).sort()).toEqual([...ALARM_NAMES].sort());
    for (const a of alarms) expect(a).toMatchObject({ actions: [topic!.arn], tags: { 'kds-xacct:deployment': 'orders' }, comparison: 'GreaterThanThreshold' });
    const uuid = [...world.cloud.regionState(CONSUMER, REGION)!.esms.keys()][0];
    expect(alarms.find((a) => a.metricName === 'IteratorAge')).toMatchObject({ namespace: 'AWS/Lambda', statistic: 'Maximum', threshold: 1_800_000, dimensions: { FunctionName: 'orders-consumer' } });
    expect(alarms.find((a) => a.metricName === 'DroppedEventCount')).toMatchObject({ statistic: 'Sum', threshold: 0, dimensions: { EventSourceMappingUUID: uuid } });
    expect(alarms.find((a) => a.metricName === 'ApproximateNumberOfMessagesVisible')).toMatchObject({ namespace: 'AWS/SQS', dimensions: { QueueName: 'orders-failed-batches' } });

    const from = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mutations(from)).toEqual([]);
  });

  it("a re-run with another --max-record-age moves the lag alarm's threshold to half of it, saying why in the plan", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--alarm-email', 'oncall@example.com')).toBe(ExitCode.Success);
    expect(await world.setup('--name', 'orders', '--max-record-age', '600'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('another threshold: consumer-lag');
    expect(alarmsIn(CONSUMER).find((a) => a.metricName === 'IteratorAge')).toMatchObject({ threshold: 300_000 });
  });

  it('a re-run with another --alarm-email subscribes that address to the same topic, and changes no alarm', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--alarm-email', 'oncall@example.com')).toBe(ExitCode.Success);
    const from = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders', '--alarm-email', 'team@example.com'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(mutations(from)).toEqual(['CreateTopic', 'Subscribe']);
    expect(topicsIn(CONSUMER)[0]!.subscriptions!.map((sub) => sub.endpoint)).toEqual(['oncall@example.com', 'team@example.com']);
    expect((await world.store.load('orders'))!.inputs).toMatchObject({ alarmEmail: 'team@example.com' });
  });

  it('a re-run with --alarm-topic points the alarms at it, and keeps the topic --alarm-email made as ours until teardown deletes it', async () => {
    world = twoAccounts();
    world.cloud.seedTopic(CONSUMER, REGION, { name: 'oncall' });
    expect(await world.setup('--name', 'orders', '--alarm-email', 'oncall@example.com')).toBe(ExitCode.Success);
    expect(await world.setup('--name', 'orders', '--alarm-topic', TOPIC), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`not notifying ${TOPIC}: consumer-lag, records-dropped, records-to-failure-destination, destination-delivery-failures, failure-queue-not-empty`);
    expect(alarmsIn(CONSUMER).every((a) => a.actions[0] === TOPIC)).toBe(true);
    expect((await world.store.load('orders'))!.steps['alarm-topic']).toMatchObject({ origin: 'created' });

    expect(await world.harness.run('teardown', '--yes', '--name', 'orders')).toBe(ExitCode.Success);
    expect(topicsIn(CONSUMER).map((t) => t.arn)).toEqual([TOPIC]);
  });

  it('with --alarm-topic notifies that topic, which teardown never deletes; teardown deletes the alarms', async () => {
    world = twoAccounts();
    world.cloud.seedTopic(CONSUMER, REGION, { name: 'oncall' });
    expect(await world.setup('--name', 'orders', '--alarm-topic', TOPIC, '--no-failure-destination'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(alarmsIn(CONSUMER).map((a) => a.name).sort()).toEqual(['kds-xacct-orders-consumer-lag', 'kds-xacct-orders-records-dropped']);
    expect(alarmsIn(CONSUMER).every((a) => a.actions[0] === TOPIC)).toBe(true);

    expect(await world.harness.run('teardown', '--yes', '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(alarmsIn(CONSUMER)).toEqual([]);
    expect(topicsIn(CONSUMER).map((t) => t.arn)).toEqual([TOPIC]);
  });

  it('teardown deletes the alarms and the topic setup made, also when the state file is lost', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--alarm-email', 'oncall@example.com')).toBe(ExitCode.Success);
    await world.store.remove('orders');
    expect(await world.harness.run('teardown', '--yes', '--name', 'orders', ...profiles), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(alarmsIn(CONSUMER)).toEqual([]);
    expect(topicsIn(CONSUMER)).toEqual([]);
  });

  it('a rollback removes the alarms and topic it made', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'PutMetricAlarm', when: (input: { AlarmName: string }) => input.AlarmName.endsWith('records-dropped') }, { code: 'AccessDenied', message: 'User is not authorized to perform: cloudwatch:PutMetricAlarm' }, 1);
    expect(await world.setup('--name', 'orders', '--alarm-email', 'oncall@example.com')).toBe(ExitCode.Failed);
    expect(alarmsIn(CONSUMER)).toEqual([]);
    expect(topicsIn(CONSUMER)).toEqual([]);
  });

  it("status shows each alarm's state, and one in ALARM as a problem", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders', '--alarm-email', 'oncall@example.com')).toBe(ExitCode.Success);
    await world.clock.sleep(120_000);
    expect(await world.harness.run('status', '--name', 'orders', '--json')).toBe(ExitCode.Success);
    let report = world.harness.reporter.results.at(-1) as HealthReport;
    expect(report.resources.find((r) => r.step === 'alarms')?.state).toBe('5 OK');

    expect(report.resources.find((r) => r.step === 'alarm-topic')?.state).toBe('subscription pending confirmation');

    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await sqs.send(new SendMessageCommand({ QueueUrl: world.cloud.regionState(CONSUMER, REGION)!.queues!.get('orders-failed-batches')!.url, MessageBody: '{}' }));
    await world.clock.sleep(120_000);
    expect(await world.harness.run('status', '--name', 'orders', '--json')).toBe(ExitCode.Failed);
    report = world.harness.reporter.results.at(-1) as HealthReport;
    expect(report.resources.find((r) => r.step === 'alarms')?.state).toBe('ALARM failure-queue-not-empty; 4 OK');
    expect(report.findings).toContainEqual(expect.objectContaining({ step: 'alarms', severity: 'error', message: expect.stringContaining('kds-xacct-orders-failure-queue-not-empty is in ALARM') }));
  });
});

describe('setup refuses bad alarm answers before anything changes', () => {
  it.each([
    [['--alarms'], '--alarms needs someone to notify.'],
    [['--alarm-email', 'oncall'], '--alarm-email: "oncall" is not an email address.'],
    [['--alarm-topic', 'arn:aws:sqs:eu-west-1:222222222222:q'], 'is not an SNS topic ARN'],
    [['--alarm-topic', TOPIC, '--alarm-email', 'a@example.com'], 'cannot both be given'],
    [['--alarm-topic', `arn:aws:sns:${REGION}:${PRODUCER}:oncall`], 'but the alarms are made in the consumer account'],
    [['--alarm-topic', TOPIC], `the SNS topic ${TOPIC} does not exist`],
  ])('%j', async (args, message) => {
    world = twoAccounts();
    world.cloud.seedTopic(PRODUCER, REGION, { name: 'oncall' });
    const from = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders', ...args)).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain(message);
    expect(mutations(from)).toEqual([]);
  });
});
