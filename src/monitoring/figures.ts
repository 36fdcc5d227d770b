import type { AccountRole } from '../aws/session.js';

/**
 * What status shows of a deployment's flow: the CloudWatch metric behind each figure, in the account that
 * owns it (Lambda Developer Guide, "Types of metrics for Lambda functions"; Kinesis Developer Guide, "Monitor
 * the Amazon Kinesis Data Streams service with Amazon CloudWatch"; SQS Developer Guide, "Available CloudWatch
 * metrics for Amazon SQS"), and the verdict on its value. Pure: reading is read.ts's, drawing render.ts's.
 */
export type FigureGroup = 'lag' | 'throughput' | 'failures';
export type FigureKey = 'iteratorAge' | 'millisBehindLatest' | 'incomingRecords' | 'deliveredRecords' | 'functionErrors' | 'throttles' | 'droppedRecords' | 'sentToDestination' | 'deliveryFailures' | 'queueDepth';

/** The names that pick each metric's dimensions; a figure whose resource is absent is not asked for. */
export interface FlowNames {
  streamName: string;
  consumerName?: string;
  functionName: string;
  mappingUuid?: string;
  /** The failure queue, when the destination is an SQS queue in the consumer account. */
  queueName?: string;
}

export interface FigureSpec {
  key: FigureKey;
  group: FigureGroup;
  label: string;
  account: AccountRole;
  namespace: string;
  metric: string;
  stat: 'Sum' | 'Maximum';
  unit: 'Milliseconds' | 'Count';
  /** A gauge shows its latest value; a count, its sum over the window. */
  reading: 'latest' | 'sum';
  /** Sent only while the mapping's MetricsConfig holds EventCount. */
  eventCount?: true;
  dimensions(names: FlowNames): Record<string, string> | undefined;
}

const byFunction = (n: FlowNames) => ({ FunctionName: n.functionName });
const byMapping = (n: FlowNames) => (n.mappingUuid ? { EventSourceMappingUUID: n.mappingUuid } : undefined);

export const FIGURES: readonly FigureSpec[] = [
  { key: 'iteratorAge', group: 'lag', label: 'function behind the stream (IteratorAge)', account: 'consumer', namespace: 'AWS/Lambda', metric: 'IteratorAge', stat: 'Maximum', unit: 'Milliseconds', reading: 'latest', dimensions: byFunction },
  {
    key: 'millisBehindLatest',
    group: 'lag',
    label: 'EFO consumer behind the tip (MillisBehindLatest)',
    account: 'producer',
    namespace: 'AWS/Kinesis',
    metric: 'SubscribeToShardEvent.MillisBehindLatest',
    stat: 'Maximum',
    unit: 'Milliseconds',
    reading: 'latest',
    dimensions: (n) => (n.consumerName ? { StreamName: n.streamName, ConsumerName: n.consumerName } : undefined),
  },
  { key: 'incomingRecords', group: 'throughput', label: 'records into the stream', account: 'producer', namespace: 'AWS/Kinesis', metric: 'IncomingRecords', stat: 'Sum', unit: 'Count', reading: 'sum', dimensions: (n) => ({ StreamName: n.streamName }) },
  { key: 'deliveredRecords', group: 'throughput', label: 'records delivered to the function', account: 'consumer', namespace: 'AWS/Lambda', metric: 'InvokedEventCount', stat: 'Sum', unit: 'Count', reading: 'sum', eventCount: true, dimensions: byMapping },
  { key: 'functionErrors', group: 'failures', label: 'function errors', account: 'consumer', namespace: 'AWS/Lambda', metric: 'Errors', stat: 'Sum', unit: 'Count', reading: 'sum', dimensions: byFunction },
  { key: 'throttles', group: 'failures', label: 'throttled invocations', account: 'consumer', namespace: 'AWS/Lambda', metric: 'Throttles', stat: 'Sum', unit: 'Count', reading: 'sum', dimensions: byFunction },
  { key: 'droppedRecords', group: 'failures', label: 'records dropped', account: 'consumer', namespace: 'AWS/Lambda', metric: 'DroppedEventCount', stat: 'Sum', unit: 'Count', reading: 'sum', eventCount: true, dimensions: byMapping },
  { key: 'sentToDestination', group: 'failures', label: 'records sent to the failure destination', account: 'consumer', namespace: 'AWS/Lambda', metric: 'OnFailureDestinationDeliveredEventCount', stat: 'Sum', unit: 'Count', reading: 'sum', eventCount: true, dimensions: byMapping },
  { key: 'deliveryFailures', group: 'failures', label: 'failed deliveries to the failure destination', account: 'consumer', namespace: 'AWS/Lambda', metric: 'DestinationDeliveryFailures', stat: 'Sum', unit: 'Count', reading: 'sum', dimensions: byFunction },
  {
    key: 'queueDepth',
    group: 'failures',
    label: 'reports waiting in the failure queue',
    account: 'consumer',
    namespace: 'AWS/SQS',
    metric: 'ApproximateNumberOfMessagesVisible',
    stat: 'Maximum',
    unit: 'Count',
    reading: 'latest',
    dimensions: (n) => (n.queueName ? { QueueName: n.queueName } : undefined),
  },
];

export type Verdict = 'ok' | 'warning' | 'problem' | 'no-data' | 'off' | 'denied';

/** One figure as status shows it: `value` is absent when there is no datapoint in the window. */
export interface Figure extends Pick<FigureSpec, 'key' | 'group' | 'label' | 'account' | 'namespace' | 'metric' | 'stat' | 'unit'> {
  dimensions: Record<string, string>;
  periodSeconds: number;
  windowSeconds: number;
  value?: number;
  /** Oldest first: one value per period that had a datapoint. */
  series: Array<{ at: string; value: number }>;
  verdict: Verdict;
  note: string;
}

/** Lag is judged against the age after which Lambda discards records: a warning from half, a problem from 90 %. */
export const LAG_WARNING_SHARE = 0.5;
export const LAG_PROBLEM_SHARE = 0.9;

/** What a figure's value means: its verdict, and the words that say so. */
export function judge(spec: FigureSpec, value: number | undefined, context: { discardAfterMs: number; discardedBy: string; window: string }): { verdict: Verdict; note: string } {
  if (value === undefined) return { verdict: 'no-data', note: `no data yet in the last ${context.window}` };
  if (spec.group === 'lag') {
    const share = value / context.discardAfterMs;
    const note = `${formatSpan(value)} behind: ${Math.round(share * 100)} % of the ${formatSpan(context.discardAfterMs)} after which ${context.discardedBy}`;
    return { verdict: share >= LAG_PROBLEM_SHARE ? 'problem' : share >= LAG_WARNING_SHARE ? 'warning' : 'ok', note };
  }
  const count = `${formatCount(value)} ${spec.reading === 'sum' ? `in the last ${context.window}` : 'now'}`;
  if (spec.group === 'throughput' || value === 0) return { verdict: 'ok', note: count };
  return { verdict: FAILURE_VERDICT[spec.key] ?? 'problem', note: count };
}

/** Errors and throttles are retried, and a waiting report is a lead to follow; a lost or unprocessed record is a problem. */
const FAILURE_VERDICT: Partial<Record<FigureKey, Verdict>> = { functionErrors: 'warning', throttles: 'warning', queueDepth: 'warning' };

/** A span in the words of a person reading lag ("12 min", "1 h"), unlike engine/clock.ts's step timings. */
export function formatSpan(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = minutes / 60;
  return `${Number.isInteger(hours) ? hours : hours.toFixed(1)} h`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
