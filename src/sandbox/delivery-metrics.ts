import { emitMetric } from './cloudwatch.js';
import type { Cloud } from './context.js';
import type { Consumer, EventSourceMapping, KinesisRecord, LambdaFunction, Stream } from './model.js';
import { parseArn } from './model.js';

/**
 * The metrics that delivery sends to CloudWatch, each in the account that owns the resource (Lambda
 * Developer Guide, "Types of metrics for Lambda functions"; Kinesis Developer Guide, "Monitor the Amazon
 * Kinesis Data Streams service with Amazon CloudWatch"). README.md has a row for each.
 */
export interface DeliverySite {
  cloud: Cloud;
  accountId: string;
  region: string;
  fn: LambdaFunction;
  esm: EventSourceMapping;
}

/** Where a mapping's metrics go: the function's account and region. */
export function siteOf(cloud: Cloud, fn: LambdaFunction, esm: EventSourceMapping): DeliverySite {
  const arn = parseArn(fn.arn)!;
  return { cloud, accountId: arn.account, region: arn.region, fn, esm };
}

/** The mapping's event-count metrics exist only when its MetricsConfig asks for `EventCount`. */
function eventCount(site: DeliverySite, name: string, value: number, at: number): void {
  if (!site.esm.metrics?.includes('EventCount')) return;
  emitMetric(site.cloud, site.accountId, site.region, { namespace: 'AWS/Lambda', name, dimensions: { EventSourceMappingUUID: site.esm.uuid }, at, value });
}

function functionMetric(site: DeliverySite, name: string, value: number, at: number): void {
  emitMetric(site.cloud, site.accountId, site.region, { namespace: 'AWS/Lambda', name, dimensions: { FunctionName: site.fn.name }, at, value });
}

/**
 * A batch read from a shard at `at`: the mapping polled it, and, through an EFO consumer, Kinesis reports in the
 * stream's account how far the read records are from the tip (SubscribeToShardEvent.MillisBehindLatest: zero
 * when nothing newer has arrived).
 */
export function batchRead(site: DeliverySite, source: { stream: Stream; consumer: Consumer | undefined }, records: KinesisRecord[], next: KinesisRecord | undefined, at: number): void {
  eventCount(site, 'PolledEventCount', records.length, at);
  const { stream, consumer } = source;
  if (!consumer) return;
  const last = records[records.length - 1]!;
  emitMetric(site.cloud, stream.accountId, stream.region, {
    namespace: 'AWS/Kinesis',
    name: 'SubscribeToShardEvent.MillisBehindLatest',
    dimensions: { StreamName: stream.name, ConsumerName: consumer.name },
    at,
    value: next !== undefined && next.arrivedAt <= at ? at - last.arrivedAt : 0,
  });
}

/** One invocation with `records`: Invocations, Errors when the function failed, and IteratorAge (the age of the batch's last record). */
export function invoked(site: DeliverySite, records: KinesisRecord[], outcome: { threw: boolean; failedRecords: number }, at: number): void {
  functionMetric(site, 'Invocations', 1, at);
  if (outcome.threw) functionMetric(site, 'Errors', 1, at);
  functionMetric(site, 'IteratorAge', at - records[records.length - 1]!.arrivedAt, at);
  eventCount(site, 'InvokedEventCount', records.length, at);
  if (outcome.failedRecords > 0) eventCount(site, 'FailedInvokeEventCount', outcome.failedRecords, at);
}

/**
 * A discarded batch: sent to the on-failure destination (OnFailureDestinationDeliveredEventCount), or dropped,
 * without a destination or when sending to it failed (DroppedEventCount, and then DestinationDeliveryFailures 1).
 */
export function discarded(site: DeliverySite, count: number, destination: 'none' | 'delivered' | 'failed', at: number): void {
  if (count === 0) return;
  if (destination === 'delivered') return eventCount(site, 'OnFailureDestinationDeliveredEventCount', count, at);
  eventCount(site, 'DroppedEventCount', count, at);
  if (destination === 'failed') functionMetric(site, 'DestinationDeliveryFailures', 1, at);
}
