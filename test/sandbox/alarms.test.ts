import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand, ListTagsForResourceCommand, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, DeleteTopicCommand, GetTopicAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { FakeCloud } from '../../src/sandbox/index.js';
import { emitMetric } from '../../src/sandbox/cloudwatch.js';
import { rejection } from '../support/rejection.js';

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const MINUTE = 60_000;
let cloud: FakeCloud;
afterEach(() => cloud?.restore());

function world() {
  const clock = new VirtualClock();
  cloud = new FakeCloud({ clock, latency: { apiCall: 0 } });
  cloud.addAccount(ACCOUNT);
  cloud.install();
  const config = { region: REGION, credentials: cloud.credentialsFor(ACCOUNT) };
  return { clock, cw: new CloudWatchClient(config), sns: new SNSClient(config) };
}

const alarm = (name: string, extra: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  Namespace: 'AWS/Lambda',
  MetricName: 'DroppedEventCount',
  Dimensions: [{ Name: 'EventSourceMappingUUID', Value: 'u-1' }],
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  ...extra,
});

describe('CloudWatch metric alarms', () => {
  it('start INSUFFICIENT_DATA, then are evaluated from the datapoints: OK, ALARM on a breach, and missing data as TreatMissingData says', async () => {
    const { clock, cw } = world();
    await cw.send(new PutMetricAlarmCommand(alarm('dropped', { TreatMissingData: 'notBreaching' })));
    await cw.send(new PutMetricAlarmCommand(alarm('dropped-missing')));
    const states = async () => Object.fromEntries(((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['dropped', 'dropped-missing'] }))).MetricAlarms ?? []).map((a) => [a.AlarmName, a.StateValue]));
    expect(await states()).toEqual({ dropped: 'INSUFFICIENT_DATA', 'dropped-missing': 'INSUFFICIENT_DATA' });
    clock.advance(2 * MINUTE);
    expect(await states()).toEqual({ dropped: 'OK', 'dropped-missing': 'INSUFFICIENT_DATA' });
    emitMetric(cloud, ACCOUNT, REGION, { namespace: 'AWS/Lambda', name: 'DroppedEventCount', dimensions: { EventSourceMappingUUID: 'u-1' }, at: clock.now(), value: 3 });
    clock.advance(MINUTE);
    expect(await states()).toEqual({ dropped: 'ALARM', 'dropped-missing': 'ALARM' });
    clock.advance(2 * MINUTE);
    expect(await states()).toEqual({ dropped: 'OK', 'dropped-missing': 'INSUFFICIENT_DATA' });
  });

  it('takes Tags only when PutMetricAlarm creates the alarm, and lists them by its ARN', async () => {
    const { cw } = world();
    await cw.send(new PutMetricAlarmCommand(alarm('dropped', { Tags: [{ Key: 'team', Value: 'a' }] })));
    await cw.send(new PutMetricAlarmCommand(alarm('dropped', { Tags: [{ Key: 'team', Value: 'b' }], Threshold: 5 })));
    const [described] = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['dropped'] }))).MetricAlarms!;
    expect(described).toMatchObject({ Threshold: 5, AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:dropped` });
    expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: described!.AlarmArn }))).Tags).toEqual([{ Key: 'team', Value: 'a' }]);
  });

  it('DeleteAlarms deletes the alarms named that exist, and a name that does not is no error', async () => {
    const { cw } = world();
    await cw.send(new PutMetricAlarmCommand(alarm('dropped')));
    await cw.send(new DeleteAlarmsCommand({ AlarmNames: ['dropped', 'nope'] }));
    expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['dropped'] }))).MetricAlarms).toEqual([]);
  });
});

describe('SNS topics for alarms', () => {
  it('CreateTopic is idempotent for the same name and tags, refuses other tags; an email subscription is pending; DeleteTopic of a missing topic succeeds', async () => {
    const { sns } = world();
    const tags = [{ Key: 'kds-xacct:deployment', Value: 'orders' }];
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders-alarms', Tags: tags }));
    expect((await sns.send(new CreateTopicCommand({ Name: 'orders-alarms', Tags: tags }))).TopicArn).toBe(TopicArn);
    expect((await rejection(sns.send(new CreateTopicCommand({ Name: 'orders-alarms', Tags: [{ Key: 'x', Value: 'y' }] })))).name).toBe('InvalidParameterException');
    expect((await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'oncall@example.com' }))).SubscriptionArn).toBe('pending confirmation');
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes).toMatchObject({ SubscriptionsConfirmed: '0', SubscriptionsPending: '1' });
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    expect((await rejection(sns.send(new GetTopicAttributesCommand({ TopicArn })))).name).toBe('NotFoundException');
  });
});
