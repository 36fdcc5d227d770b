import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CallContext, Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { MetricAlarm, MetricDatum, Queue, RegionState } from './model.js';
import { queueIsGone, queuesOf } from './sqs.js';

/**
 * CloudWatch as far as reading a pipeline's metrics needs it: the modelled services send datapoints as they
 * work (`emitMetric`: Kinesis on PutRecord(s), Lambda's mapping in delivery.ts), each to the account and region
 * that owns the resource, and GetMetricData aggregates them. The SQS queue depth is a gauge SQS sends every
 * minute, so it is computed from the queue's messages when read. Metric alarms (PutMetricAlarm, DescribeAlarms,
 * DeleteAlarms, ListTagsForResource) evaluate those same datapoints when read; their actions are not run.
 * Metric math and every other CloudWatch call fail loudly.
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
    PutMetricAlarm: { mutating: true, run: putMetricAlarm },
    DescribeAlarms: {
      mutating: false,
      run(ctx, input) {
        const names: string[] | undefined = input.AlarmNames;
        if (names && names.length > 100) throw err('ValidationError', 'The collection AlarmNames must not have more than 100 members.');
        if (input.AlarmNamePrefix !== undefined || input.StateValue !== undefined || input.ActionPrefix !== undefined) throw new Error('FakeCloud models DescribeAlarms by AlarmNames only');
        const alarms = [...alarmsOf(ctx)].filter((a) => !names || names.includes(a.name));
        return { MetricAlarms: alarms.map((a) => describeAlarm(ctx, a)), CompositeAlarms: [] };
      },
    },
    DeleteAlarms: {
      mutating: true,
      run(ctx, input) {
        const names: string[] = input.AlarmNames ?? [];
        if (names.length > 100) throw err('ValidationError', 'The collection AlarmNames must not have more than 100 members.');
        // The DeleteAlarms API reference: "If you specify any incorrect alarm names, the alarms you specify with correct
        // names are still deleted"; an unknown name is no error (aws-cloudformation/cloudformation-cli#456).
        const alarms = alarmMap(ctx);
        for (const n of names) alarms.delete(n);
        return {};
      },
    },
    ListTagsForResource: {
      mutating: false,
      run(ctx, input) {
        const arn: string = input.ResourceARN ?? '';
        const alarm = [...alarmsOf(ctx)].find((a) => a.arn === arn);
        if (!alarm) throw err('ResourceNotFoundException', `${arn} not found`);
        return { Tags: Object.entries(alarm.tags).map(([Key, Value]) => ({ Key, Value })) };
      },
    },
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

const COMPARISONS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};
const TREAT_MISSING = new Set(['missing', 'notBreaching', 'breaching']);

function alarmMap(ctx: CallContext): Map<string, MetricAlarm> {
  const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
  return (rs.alarms ??= new Map());
}

function alarmsOf(ctx: CallContext): Iterable<MetricAlarm> {
  return alarmMap(ctx).values();
}

/**
 * The PutMetricAlarm API reference: it creates the alarm or overwrites the whole configuration of an existing
 * one; "If you are using this operation to update an existing alarm, any tags you specify in this parameter are ignored."
 */
function putMetricAlarm(ctx: CallContext, input: any): unknown {
  if (!input.AlarmName) throw err('ValidationError', 'The parameter AlarmName is required.');
  if (input.Metrics !== undefined || input.ExtendedStatistic !== undefined || input.ThresholdMetricId !== undefined) throw new Error('FakeCloud models metric alarms on one metric and a statistic only');
  if (!input.Namespace || !input.MetricName) throw err('ValidationError', 'Namespace and MetricName are required for an alarm on a single metric.');
  if (!STATISTICS.has(input.Statistic)) throw err('ValidationError', `The parameter Statistic must be one of SampleCount, Average, Sum, Minimum, Maximum; got ${input.Statistic}.`);
  if (!COMPARISONS[input.ComparisonOperator]) throw new Error(`FakeCloud does not model the ComparisonOperator ${input.ComparisonOperator}`);
  const period = Number(input.Period);
  if (!(period > 0 && ([10, 30].includes(period) || period % 60 === 0))) throw err('ValidationError', `The parameter Period must be 10, 30 or a multiple of 60; got ${input.Period}.`);
  if (!(Number(input.EvaluationPeriods) >= 1)) throw err('ValidationError', 'The parameter EvaluationPeriods must be at least 1.');
  if (typeof input.Threshold !== 'number') throw err('ValidationError', 'The parameter Threshold is required.');
  const treatMissingData = input.TreatMissingData ?? 'missing';
  if (!TREAT_MISSING.has(treatMissingData)) throw new Error(`FakeCloud does not model TreatMissingData ${treatMissingData}`);
  const actions: string[] = input.AlarmActions ?? [];
  if (actions.length > 5) throw err('LimitExceeded', 'The maximum number of alarm actions is 5.');
  const alarms = alarmMap(ctx);
  const existing = alarms.get(input.AlarmName);
  alarms.set(input.AlarmName, {
    name: input.AlarmName,
    arn: `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${input.AlarmName}`,
    namespace: input.Namespace,
    metricName: input.MetricName,
    dimensions: Object.fromEntries((input.Dimensions ?? []).map((d: { Name: string; Value: string }) => [d.Name, d.Value])),
    statistic: input.Statistic,
    period,
    evaluationPeriods: Number(input.EvaluationPeriods),
    threshold: input.Threshold,
    comparison: input.ComparisonOperator,
    treatMissingData,
    actions,
    ...(input.AlarmDescription !== undefined && { description: input.AlarmDescription }),
    tags: existing?.tags ?? Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value])),
    updatedAt: ctx.now,
  });
  return {};
}

function describeAlarm(ctx: CallContext, a: MetricAlarm) {
  const { state, reason } = alarmState(ctx, a);
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    ...(a.description !== undefined && { AlarmDescription: a.description }),
    ActionsEnabled: true,
    AlarmActions: a.actions,
    OKActions: [],
    InsufficientDataActions: [],
    StateValue: state,
    StateReason: reason,
    Namespace: a.namespace,
    MetricName: a.metricName,
    Dimensions: Object.entries(a.dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: a.statistic,
    Period: a.period,
    EvaluationPeriods: a.evaluationPeriods,
    Threshold: a.threshold,
    ComparisonOperator: a.comparison,
    TreatMissingData: a.treatMissingData,
  };
}

/**
 * The alarm's state now, from its last `evaluationPeriods` periods (all of them must breach: M of N with M = N).
 * PutMetricAlarm API reference: a new alarm starts INSUFFICIENT_DATA and is then evaluated. CloudWatch user guide,
 * "Configuring how CloudWatch alarms treat missing data": a missing period counts as good (notBreaching), bad
 * (breaching), or, with `missing`, a range with no data at all makes the alarm INSUFFICIENT_DATA.
 */
function alarmState(ctx: CallContext, a: MetricAlarm): { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; reason: string } {
  const periodMs = a.period * 1000;
  if (ctx.now - a.updatedAt < periodMs) return { state: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' };
  const rs = ctx.cloud.regionState(ctx.accountId, ctx.region)!;
  const end = Math.floor(ctx.now / MINUTE) * MINUTE;
  const start = end - a.evaluationPeriods * periodMs;
  const query: MetricStatQuery = {
    Id: 'alarm',
    MetricStat: { Metric: { Namespace: a.namespace, MetricName: a.metricName, Dimensions: Object.entries(a.dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: a.period, Stat: a.statistic },
  };
  const { Values: values } = series(ctx, rs, query, start, end, true);
  if (values.length === 0 && a.treatMissingData === 'missing') return { state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: no datapoints were received for the evaluation range.' };
  const missing = a.evaluationPeriods - values.length;
  const breaching = values.filter((v) => COMPARISONS[a.comparison]!(v, a.threshold)).length + (a.treatMissingData === 'breaching' ? missing : 0);
  return breaching >= a.evaluationPeriods
    ? { state: 'ALARM', reason: `Threshold Crossed: ${breaching} out of the last ${a.evaluationPeriods} datapoints were breaching the threshold (${a.threshold}).` }
    : { state: 'OK', reason: `Threshold Crossed: ${breaching} out of the last ${a.evaluationPeriods} datapoints were breaching the threshold (${a.threshold}).` };
}
