import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { MetricDatum, Queue, RegionState } from './model.js';
import { queueIsGone, queuesOf } from './sqs.js';

/**
 * CloudWatch as far as reading a pipeline's metrics needs it: the modelled services send datapoints as they
 * work (`emitMetric`: Kinesis on PutRecord(s), Lambda's mapping in delivery.ts), each to the account and region
 * that owns the resource, and GetMetricData aggregates them. The SQS queue depth is a gauge SQS sends every
 * minute, so it is computed from the queue's messages when read. Metric math and every other CloudWatch call
 * fail loudly.
 */
const err = (code: string, message: string): Error => awsError('CloudWatch', code, message);

const MINUTE = 60_000;
const STATISTICS = new Set(['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount']);
/** The GetMetricData API reference: at most 500 queries per call. */
const MAX_QUERIES = 500;

export function metricsOf(rs: RegionState): MetricDatum[] {
  return (rs.metrics ??= []);
}

/** A datapoint sent by the service that owns the resource, in that resource's account and region. */
export function emitMetric(cloud: Cloud, accountId: string, region: string, datum: Omit<MetricDatum, 'value'> & { value: number }): void {
  const rs = cloud.regionState(accountId, region);
  if (rs) metricsOf(rs).push(datum);
}

/** Takes an action away from the account's own caller, as a missing identity-policy permission would. */
export function denyToCaller(cloud: Cloud, accountId: string, action: string): void {
  const account = cloud.account(accountId);
  account.callerDenied = [...(account.callerDenied ?? []), action];
}

interface MetricStatQuery {
  Id: string;
  Label?: string;
  ReturnData?: boolean;
  Expression?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> }; Period: number; Stat: string; Unit?: string };
}

export const cloudWatchModel: ServiceModel = {
  service: 'CloudWatch',
  client: CloudWatchClient,
  operations: {
    GetMetricData: {
      mutating: false,
      run(ctx, input) {
        if (ctx.cloud.account(ctx.accountId).callerDenied?.includes('cloudwatch:GetMetricData')) {
          throw err('AccessDenied', `User: ${ctx.principal} is not authorized to perform: cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action`);
        }
        const queries: MetricStatQuery[] = input.MetricDataQueries ?? [];
        if (queries.length === 0 || queries.length > MAX_QUERIES) throw err('ValidationError', `The collection MetricDataQueries must not be empty and must not have more than ${MAX_QUERIES} members.`);
        const start = timeOf(input.StartTime, 'StartTime');
        const end = timeOf(input.EndTime, 'EndTime');
        if (start >= end) throw err('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
        for (const q of queries) validateQuery(q);
        const ascending = input.ScanBy === 'TimestampAscending';
        const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
        return {
          MetricDataResults: queries
            .filter((q) => q.ReturnData !== false)
            .map((q) => ({ Id: q.Id, Label: q.Label ?? q.MetricStat!.Metric.MetricName, StatusCode: 'Complete', ...series(ctx, rs, q, start, end, ascending) })),
          Messages: [],
        };
      },
    },
  },
};

function timeOf(value: unknown, name: string): number {
  const t = value instanceof Date ? value.getTime() : typeof value === 'number' ? value * 1000 : Number.NaN;
  if (!Number.isFinite(t)) throw err('ValidationError', `The parameter ${name} is required.`);
  return t;
}

/**
 * The API reference, MetricDataQuery: an Id starts with a lower-case letter and holds letters, digits and
 * underscores; a MetricStat's Period is 1, 5, 10, 30 or a multiple of 60 seconds; Stat names a statistic.
 */
function validateQuery(q: MetricStatQuery): void {
  if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id ?? '')) throw err('ValidationError', `The value ${q.Id} for parameter MetricDataQueries.member.Id is not valid: it must start with a lowercase letter and contain only letters, numbers and underscores.`);
  if (q.Expression !== undefined) throw new Error('FakeCloud does not model CloudWatch metric math (MetricDataQuery.Expression)');
  if (!q.MetricStat) throw err('ValidationError', `The parameter MetricDataQueries.member.MetricStat is required for ${q.Id}.`);
  const { Period: period, Stat: stat } = q.MetricStat;
  if (!(period > 0 && ([1, 5, 10, 30].includes(period) || period % 60 === 0))) throw err('ValidationError', `The parameter MetricDataQueries.member.MetricStat.Period must be 1, 5, 10, 30 or a multiple of 60; got ${period}.`);
  if (!STATISTICS.has(stat)) throw new Error(`FakeCloud does not model the CloudWatch statistic ${stat}`);
}

/** One query's datapoints: one per period that holds any, none for a period without. */
function series(ctx: CallContext, rs: RegionState, q: MetricStatQuery, start: number, end: number, ascending: boolean): { Timestamps: Date[]; Values: number[] } {
  const { Metric: metric, Period: period, Stat: stat } = q.MetricStat!;
  const dimensions = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
  // The API reference, StartTime: CloudWatch rounds a start within the last 15 days down to the whole minute.
  const from = Math.floor(start / MINUTE) * MINUTE;
  const data = [...metricsOf(rs), ...queueDepths(ctx, rs, Math.min(from, ctx.now), Math.min(end, ctx.now))].filter(
    (d) => d.namespace === metric.Namespace && d.name === metric.MetricName && sameDimensions(d.dimensions, dimensions) && d.at >= from && d.at < end,
  );
  const buckets = new Map<number, number[]>();
  for (const d of data) {
    const bucket = from + Math.floor((d.at - from) / (period * 1000)) * period * 1000;
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), d.value]);
  }
  const times = [...buckets.keys()].sort((a, b) => (ascending ? a - b : b - a));
  return { Timestamps: times.map((t) => new Date(t)), Values: times.map((t) => statistic(stat, buckets.get(t)!)) };
}

/** CloudWatch matches a metric by its whole set of dimensions, not a subset. */
function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function statistic(stat: string, values: number[]): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((n, v) => n + v, 0);
    case 'Average':
      return values.reduce((n, v) => n + v, 0) / values.length;
    case 'Maximum':
      return Math.max(...values);
    case 'Minimum':
      return Math.min(...values);
    default:
      return values.length;
  }
}

/**
 * AWS/SQS ApproximateNumberOfMessagesVisible, dimension QueueName: SQS sends it every minute while the queue
 * exists (SQS developer guide, "Available CloudWatch metrics for Amazon SQS"). Each minute's value is the
 * messages sent by then, not yet past the retention period and not delayed.
 */
function queueDepths(ctx: CallContext, rs: RegionState, from: number, until: number): MetricDatum[] {
  const out: MetricDatum[] = [];
  for (const queue of queuesOf(rs).values()) {
    const first = Math.max(Math.ceil(queue.createdAt / MINUTE) * MINUTE, Math.ceil(from / MINUTE) * MINUTE);
    for (let at = first; at <= until && !queueIsGone(ctx.cloud, queue, at); at += MINUTE) {
      out.push({ namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queue.name }, at, value: visibleAt(queue, at) });
    }
  }
  return out;
}

function visibleAt(queue: Queue, at: number): number {
  const retentionMs = Number(queue.attributes.MessageRetentionPeriod ?? 345_600) * 1000;
  return queue.messages.filter((m) => m.sentAt <= at && m.sentAt + retentionMs > at && (m.availableAt ?? 0) <= at && (m.hiddenUntil ?? 0) <= at).length;
}
