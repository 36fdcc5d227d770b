import { type CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { AccountRole } from '../aws/session.js';
import { awsErrorCode } from '../errors.js';
import { FIGURES, type Figure, type FigureSpec, type FlowNames, formatSpan, judge } from './figures.js';

/** One account that owns some of the metrics, with the client to read them (one per profile, as every other call). */
export interface MetricsAccount {
  role: AccountRole;
  profile: string;
  accountId: string;
  cloudwatch(): Promise<CloudWatchClient>;
}

/** What the flow's figures depend on in the mapping: read by the caller, which already knows how. */
export interface MappingFacts {
  uuid: string;
  /** MaximumRecordAgeInSeconds; -1 keeps records until the stream's retention ends. */
  maximumRecordAgeSeconds: number;
  eventCountsOn: boolean;
}

export interface FlowRequest {
  producer: MetricsAccount;
  consumer: MetricsAccount;
  names: Omit<FlowNames, 'mappingUuid'>;
  /** The mapping, read alongside the producer's metrics; undefined when there is none. */
  mapping: () => Promise<MappingFacts | undefined>;
  now: number;
  /** The window each figure's value covers (`--since`). */
  windowMs: number;
  /** How far back the series go (the sparklines' hour), at least the window. */
  historyMs?: number;
}

export interface FlowReport {
  windowSeconds: number;
  periodSeconds: number;
  figures: Figure[];
  /** Accounts whose profile may not read metrics: each said once, with the statement that would allow it. */
  denied: Array<{ account: AccountRole; profile: string; accountId: string; statement: object }>;
  /** The mapping's MetricsConfig lacks EventCount: its per-record counts do not exist. */
  eventCountsOff: boolean;
}

export const PERIOD_SECONDS = 60;
/** Records with no maximum age are discarded when the stream's retention ends: 24 hours unless changed. */
const DEFAULT_RETENTION_MS = 24 * 3_600_000;

/**
 * GetMetricData supports no resource-level permissions or conditions (Service Authorization Reference,
 * "Actions defined by Amazon CloudWatch"), so the statement names every resource.
 */
export const GET_METRIC_DATA_STATEMENT = { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' } as const;

/** Reads every figure: one GetMetricData per account, both accounts at once. */
export async function readFlow(request: FlowRequest): Promise<FlowReport> {
  const producerRead = readAccount(request, request.producer, FIGURES.filter((f) => f.account === 'producer'), { ...request.names });
  const consumerRead = request.mapping().then(async (mapping) => ({
    mapping,
    ...(await readAccount(request, request.consumer, FIGURES.filter((f) => f.account === 'consumer' && (!f.eventCount || mapping?.eventCountsOn)), { ...request.names, ...(mapping && { mappingUuid: mapping.uuid }) })),
  }));
  const [producer, consumer] = await Promise.all([producerRead, consumerRead]);
  const { mapping } = consumer;
  const discardAfterMs = mapping && mapping.maximumRecordAgeSeconds > 0 ? mapping.maximumRecordAgeSeconds * 1000 : DEFAULT_RETENTION_MS;
  const context = {
    discardAfterMs,
    discardedBy: mapping && mapping.maximumRecordAgeSeconds > 0 ? 'Lambda discards records' : "records leave the stream (its retention, 24 h unless changed)",
    window: formatSpan(request.windowMs),
  };
  const from = request.now - request.windowMs;
  const figures = [...producer.figures, ...consumer.figures].map(({ spec, dimensions, result }) => toFigure(spec, dimensions, result, from, request, context));
  const denied = [producer, consumer].flatMap((r) => (r.denied ? [{ ...r.denied, statement: { Version: '2012-10-17', Statement: [GET_METRIC_DATA_STATEMENT] } }] : []));
  return {
    windowSeconds: request.windowMs / 1000,
    periodSeconds: PERIOD_SECONDS,
    figures: FIGURES.flatMap((spec) => figures.filter((f) => f.key === spec.key)),
    denied,
    eventCountsOff: mapping !== undefined && !mapping.eventCountsOn,
  };
}

interface AccountRead {
  figures: Array<{ spec: FigureSpec; dimensions: Record<string, string>; result: MetricDataResult | 'denied' }>;
  denied?: { account: AccountRole; profile: string; accountId: string };
}

async function readAccount(request: FlowRequest, account: MetricsAccount, specs: readonly FigureSpec[], names: FlowNames): Promise<AccountRead> {
  const asked = specs.flatMap((spec) => {
    const dimensions = spec.dimensions(names);
    return dimensions ? [{ spec, dimensions }] : [];
  });
  if (asked.length === 0) return { figures: [] };
  const client = await account.cloudwatch();
  try {
    const out = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: asked.map(({ spec, dimensions }) => ({
          Id: spec.key,
          MetricStat: { Metric: { Namespace: spec.namespace, MetricName: spec.metric, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) }, Period: PERIOD_SECONDS, Stat: spec.stat },
        })),
        StartTime: new Date(request.now - Math.max(request.windowMs, request.historyMs ?? 0)),
        EndTime: new Date(request.now),
        ScanBy: 'TimestampAscending',
      }),
    );
    const results = new Map((out.MetricDataResults ?? []).map((r) => [r.Id, r]));
    return { figures: asked.map(({ spec, dimensions }) => ({ spec, dimensions, result: results.get(spec.key) ?? {} })) };
  } catch (error) {
    if (!['AccessDenied', 'AccessDeniedException'].includes(awsErrorCode(error) ?? '')) throw error;
    return { figures: asked.map(({ spec, dimensions }) => ({ spec, dimensions, result: 'denied' as const })), denied: { account: account.role, profile: account.profile, accountId: account.accountId } };
  }
}

function toFigure(spec: FigureSpec, dimensions: Record<string, string>, result: MetricDataResult | 'denied', from: number, request: FlowRequest, context: Parameters<typeof judge>[2]): Figure {
  const base = { key: spec.key, group: spec.group, label: spec.label, account: spec.account, namespace: spec.namespace, metric: spec.metric, dimensions, stat: spec.stat, unit: spec.unit, periodSeconds: PERIOD_SECONDS, windowSeconds: request.windowMs / 1000 };
  if (result === 'denied') return { ...base, series: [], verdict: 'denied', note: 'not readable: cloudwatch:GetMetricData is not allowed' };
  const series = (result.Timestamps ?? []).map((t, i) => ({ at: t.getTime(), value: result.Values?.[i] ?? 0 })).sort((a, b) => a.at - b.at);
  const inWindow = series.filter((p) => p.at >= from);
  const value = inWindow.length === 0 ? undefined : spec.reading === 'latest' ? inWindow[inWindow.length - 1]!.value : inWindow.reduce((n, p) => n + p.value, 0);
  return { ...base, ...(value !== undefined && { value }), series: series.map((p) => ({ at: new Date(p.at).toISOString(), value: p.value })), ...judge(spec, value, context) };
}
