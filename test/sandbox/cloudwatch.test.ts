import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { denyToCaller } from '../../src/sandbox/cloudwatch.js';
import { queuesOf } from '../../src/sandbox/sqs.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';
import { deployedOrders, putOrders } from '../support/orders-flow.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const MINUTE = 60_000;

const client = <C>(Cls: new (config: any) => C, account: string): C => new Cls({ region: REGION, credentials: world.cloud.credentialsFor(account) });
const esm = () => [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!;
const consumerName = () => [...world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!.consumers.keys()][0]!;
const queueName = () => [...queuesOf(world.cloud.regionState(CONSUMER, REGION)!).keys()][0]!;

async function withEventCounts(): Promise<void> {
  await client(LambdaClient, CONSUMER).send(new UpdateEventSourceMappingCommand({ UUID: esm().uuid, MetricsConfig: { Metrics: ['EventCount'] } }));
  world.clock.advance(MINUTE);
}

function query(id: string, namespace: string, name: string, dimensions: Record<string, string>, stat = 'Sum', period = 60): MetricDataQuery {
  return { Id: id, MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: period, Stat: stat } };
}

/** Each query's values, summed over the last `minutes`, in `account`; undefined when it has no datapoint. */
async function totals(account: string, queries: MetricDataQuery[], minutes = 30): Promise<Record<string, number | undefined>> {
  const now = world.clock.now();
  const out = await client(CloudWatchClient, account).send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(now - minutes * MINUTE), EndTime: new Date(now) }));
  return Object.fromEntries(out.MetricDataResults!.map((r) => [r.Id!, r.Values!.length === 0 ? undefined : r.Values!.reduce((n, v) => n + v, 0)]));
}

const lambda = (name: string, stat = 'Sum') => query(name.charAt(0).toLowerCase() + name.slice(1), 'AWS/Lambda', name, { FunctionName: esm().functionArn.split(':').pop()! }, stat);
const mapping = (name: string) => query(name.charAt(0).toLowerCase() + name.slice(1), 'AWS/Lambda', name, { EventSourceMappingUUID: esm().uuid });

describe('CloudWatch metrics of what the sandbox delivers', () => {
  it('has no datapoints for a new deployment, not zeros', async () => {
    world = await deployedOrders();
    expect(await totals(CONSUMER, [lambda('Invocations'), lambda('IteratorAge', 'Maximum')])).toEqual({ invocations: undefined, iteratorAge: undefined });
    expect(await totals(PRODUCER, [query('incoming', 'AWS/Kinesis', 'IncomingRecords', { StreamName: 'orders-stream' })])).toEqual({ incoming: undefined });
  });

  it('counts records into the stream in the producer account, and invocations and iterator age in the consumer account only', async () => {
    world = await deployedOrders();
    await putOrders(world, 250);
    world.clock.advance(2 * MINUTE);
    const incoming = query('incoming', 'AWS/Kinesis', 'IncomingRecords', { StreamName: 'orders-stream' });
    expect(await totals(PRODUCER, [incoming])).toEqual({ incoming: 250 });
    expect(await totals(CONSUMER, [incoming])).toEqual({ incoming: undefined });
    const consumer = await totals(CONSUMER, [lambda('Invocations'), lambda('Errors'), lambda('IteratorAge', 'Maximum')]);
    // A batch is at most 100 records (the mapping's BatchSize), from one shard: at least three invocations, none failed.
    expect(consumer.invocations).toBeGreaterThanOrEqual(3);
    expect(consumer.errors).toBeUndefined();
    expect(consumer.iteratorAge).toBeGreaterThan(0);
    expect(await totals(PRODUCER, [lambda('Invocations')])).toEqual({ invocations: undefined });
  });

  it("reports the EFO consumer's distance from the tip in the producer account, by stream and consumer name", async () => {
    world = await deployedOrders();
    await putOrders(world, 250);
    world.clock.advance(2 * MINUTE);
    const behind = query('behind', 'AWS/Kinesis', 'SubscribeToShardEvent.MillisBehindLatest', { StreamName: 'orders-stream', ConsumerName: consumerName() }, 'Maximum');
    const result = await totals(PRODUCER, [behind]);
    expect(result.behind).toBeGreaterThanOrEqual(0);
    // The dimensions must match exactly: the stream name alone names another metric.
    expect(await totals(PRODUCER, [query('behind', 'AWS/Kinesis', 'SubscribeToShardEvent.MillisBehindLatest', { StreamName: 'orders-stream' }, 'Maximum')])).toEqual({ behind: undefined });
  });

  it("sends the mapping's event counts only once its MetricsConfig asks for EventCount", async () => {
    world = await deployedOrders();
    delete esm().metrics;
    await putOrders(world, 50);
    world.clock.advance(2 * MINUTE);
    expect(await totals(CONSUMER, [mapping('PolledEventCount')])).toEqual({ polledEventCount: undefined });
    await withEventCounts();
    await putOrders(world, 30);
    world.clock.advance(2 * MINUTE);
    expect(await totals(CONSUMER, [mapping('PolledEventCount'), mapping('InvokedEventCount'), mapping('DroppedEventCount')])).toEqual({ polledEventCount: 30, invokedEventCount: 30, droppedEventCount: undefined });
  });

  it('counts function errors, records sent to the failure destination, and the queue depth minute by minute', async () => {
    world = await deployedOrders();
    await withEventCounts();
    world.cloud.setFunctionRuntime(async () => {
      throw new Error('boom');
    });
    await putOrders(world, 10);
    world.clock.advance(3 * MINUTE);
    const failures = await totals(CONSUMER, [lambda('Errors'), mapping('OnFailureDestinationDeliveredEventCount'), mapping('DroppedEventCount'), lambda('DestinationDeliveryFailures')]);
    expect(failures.errors).toBeGreaterThan(0);
    expect(failures).toMatchObject({ onFailureDestinationDeliveredEventCount: 10, droppedEventCount: undefined, destinationDeliveryFailures: undefined });
    const depth = query('depth', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: queueName() }, 'Maximum');
    const now = world.clock.now();
    const out = await client(CloudWatchClient, CONSUMER).send(new GetMetricDataCommand({ MetricDataQueries: [depth], StartTime: new Date(now - 10 * MINUTE), EndTime: new Date(now), ScanBy: 'TimestampAscending' }));
    const values = out.MetricDataResults![0]!.Values!;
    // One value a minute since the queue was made: empty until the reports arrived.
    expect(values.length).toBeGreaterThanOrEqual(3);
    expect(values[0]).toBe(0);
    expect(values[values.length - 1]).toBe(world.cloud.regionState(CONSUMER, REGION)!.queues!.get(queueName())!.messages.length);
    expect(values[values.length - 1]).toBeGreaterThan(0);
  });

  it('counts records dropped when the failure destination cannot take them, with a failed delivery', async () => {
    world = await deployedOrders();
    await withEventCounts();
    world.cloud.regionState(CONSUMER, REGION)!.queues!.get(queueName())!.deletedAt = world.clock.now() - 10 * MINUTE;
    world.cloud.setFunctionRuntime(async () => {
      throw new Error('boom');
    });
    await putOrders(world, 4);
    world.clock.advance(3 * MINUTE);
    const result = await totals(CONSUMER, [mapping('DroppedEventCount'), lambda('DestinationDeliveryFailures'), mapping('OnFailureDestinationDeliveredEventCount')]);
    // One failed delivery per discarded batch: one per shard the four records went to.
    const failedSends = world.cloud.diagnostics.filter((d) => d.includes('was not sent to')).length;
    expect(failedSends).toBeGreaterThan(0);
    expect(result).toEqual({ droppedEventCount: 4, destinationDeliveryFailures: failedSends, onFailureDestinationDeliveredEventCount: undefined });
  });

  it('takes MetricsConfig EventCount on a Kinesis mapping, shows it, and refuses the Kafka-only metric groups', async () => {
    world = await deployedOrders();
    const lambdaClient = client(LambdaClient, CONSUMER);
    const refused = await lambdaClient.send(new UpdateEventSourceMappingCommand({ UUID: esm().uuid, MetricsConfig: { Metrics: ['ErrorCount'] } })).catch((e: Error) => e.name);
    expect(refused).toBe('InvalidParameterValueException');
    const updated = await lambdaClient.send(new UpdateEventSourceMappingCommand({ UUID: esm().uuid, MetricsConfig: { Metrics: ['EventCount'] } }));
    expect(updated.MetricsConfig).toEqual({ Metrics: ['EventCount'] });
  });

  it('refuses GetMetricData with AccessDenied to a caller without cloudwatch:GetMetricData', async () => {
    world = await deployedOrders();
    denyToCaller(world.cloud, CONSUMER, 'cloudwatch:GetMetricData');
    const error = await totals(CONSUMER, [lambda('Invocations')]).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect((error as Error).message).toBe(`User: arn:aws:iam::${CONSUMER}:user/fake is not authorized to perform: cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action`);
    expect(await totals(PRODUCER, [lambda('Invocations')])).toEqual({ invocations: undefined });
  });

  it('validates query ids, periods and the time range as the API reference states', async () => {
    world = await deployedOrders();
    const cw = client(CloudWatchClient, CONSUMER);
    const now = world.clock.now();
    const send = (queries: MetricDataQuery[], start = now - MINUTE) => cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(start), EndTime: new Date(now) })).catch((e: Error) => e.name);
    expect(await send([{ ...lambda('Invocations'), Id: 'Invocations' }])).toBe('ValidationError');
    expect(await send([query('x', 'AWS/Lambda', 'Errors', {}, 'Sum', 90)])).toBe('ValidationError');
    expect(await send([lambda('Invocations')], now + MINUTE)).toBe('ValidationError');
  });
});
