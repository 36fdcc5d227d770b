import { DeleteAlarmsCommand, DescribeAlarmsCommand, ListTagsForResourceCommand, PutMetricAlarmCommand, type MetricAlarm, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import type { Outputs, StepContext } from '../../engine/types.js';
import { callAws } from '../../aws/retry.js';
import type { HealthContext, HealthReading } from '../health-reading.js';
import type { PipelineStep } from './pipeline-step.js';
import { STEP, type PipelineContext } from './context.js';
import { alarmTopicArn } from './alarm-topic.js';
import { ignoreMissing, originOf } from './shared.js';

/** Kinesis keeps records 24 hours unless told otherwise: an unlimited record age (-1) lasts that long by default. */
const DEFAULT_RETENTION_SECONDS = 24 * 60 * 60;

/**
 * The lag worth waking someone for: half the time the mapping keeps retrying a record before it gives up on
 * it, which leaves the other half to act before records are lost.
 */
function lagThresholdMs(maxRecordAgeSeconds: number): number {
  return ((maxRecordAgeSeconds === -1 ? DEFAULT_RETENTION_SECONDS : maxRecordAgeSeconds) * 1000) / 2;
}

/** Every alarm setup may make, by the part of its name after the deployment's prefix. */
const ALARMS = ['consumer-lag', 'records-dropped', 'records-to-failure-destination', 'destination-delivery-failures', 'failure-queue-not-empty'] as const;

/** The names of every alarm a deployment may have, whichever of them its failure destination needs: discovery looks for all. */
export function everyAlarmName(names: Pick<PipelineContext['names'], 'alarmPrefix'>): string[] {
  return ALARMS.map((a) => `${names.alarmPrefix}${a}`);
}

/** An alarm's metric and threshold, as PutMetricAlarm takes them. */
type AlarmDefinition = Pick<PutMetricAlarmCommandInput, 'Dimensions' | 'Statistic'> & { AlarmName: string; AlarmDescription: string; Namespace: string; MetricName: string; Threshold: number };

/**
 * The deployment's alarms, on the metrics status reads (monitoring/figures.ts), all in the consumer account
 * that owns them. Counts alarm on any one record: each is a record lost or set aside.
 */
export function alarmDefinitions(ctx: Pick<PipelineContext, 'config' | 'names'>, mappingUuid: string): AlarmDefinition[] {
  const { config, names } = ctx;
  const byFunction = [{ Name: 'FunctionName', Value: config.functionName }];
  const byMapping = [{ Name: 'EventSourceMappingUUID', Value: mappingUuid }];
  const lambda = (name: (typeof ALARMS)[number], MetricName: string, Dimensions: typeof byFunction, AlarmDescription: string, Statistic: 'Sum' | 'Maximum' = 'Sum', Threshold = 0) => ({
    AlarmName: `${names.alarmPrefix}${name}`,
    AlarmDescription,
    Namespace: 'AWS/Lambda',
    MetricName,
    Dimensions,
    Statistic,
    Threshold,
  });
  const threshold = lagThresholdMs(config.esm.maxRecordAgeSeconds);
  const destination = config.failureDestination.kind;
  return [
    lambda('consumer-lag', 'IteratorAge', byFunction, `${config.functionName} is more than ${threshold / 1000} s behind ${config.streamName}: half the mapping's maximum record age, after which records are dropped`, 'Maximum', threshold),
    lambda('records-dropped', 'DroppedEventCount', byMapping, `records of ${config.streamName} were dropped by the mapping to ${config.functionName}`),
    ...(destination === 'none'
      ? []
      : [
          lambda('records-to-failure-destination', 'OnFailureDestinationDeliveredEventCount', byMapping, `batches of ${config.streamName} that ${config.functionName} failed were sent to the failure destination`),
          lambda('destination-delivery-failures', 'DestinationDeliveryFailures', byFunction, `${config.functionName} could not send a failed batch to its failure destination`),
        ]),
    ...(destination === 'queue'
      ? [
          {
            AlarmName: `${names.alarmPrefix}${ALARMS[4]}`,
            AlarmDescription: `${names.failureQueueName} holds reports of failed batches, whose records only the stream still has`,
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: names.failureQueueName }],
            Statistic: 'Maximum' as const,
            Threshold: 0,
          },
        ]
      : []),
  ];
}

/** What setup sets on every alarm: one minute, above the threshold, and no data (nothing happened) counts as fine. */
const EVALUATION = { Period: 60, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' } as const;

/** What about an existing alarm differs from its definition, in the user's words; empty when it matches. */
function differences(live: MetricAlarm, wanted: AlarmDefinition, topicArn: string): string[] {
  const out: string[] = [];
  const dims = (d: MetricAlarm['Dimensions']) => JSON.stringify((d ?? []).map((x) => [x.Name, x.Value]));
  if (live.MetricName !== wanted.MetricName || live.Namespace !== wanted.Namespace || dims(live.Dimensions) !== dims(wanted.Dimensions)) out.push('another metric');
  if (live.Threshold !== wanted.Threshold || live.Statistic !== wanted.Statistic || live.ComparisonOperator !== EVALUATION.ComparisonOperator) out.push('another threshold');
  if (!(live.AlarmActions ?? []).includes(topicArn)) out.push(`not notifying ${topicArn}`);
  return out;
}

/** The differences of every alarm, each said once with the alarms it applies to ("another threshold: consumer-lag"). */
function describeDifferences(defs: AlarmDefinition[], live: Map<string, MetricAlarm>, topicArn: string, prefix: string): string[] {
  const byDifference = new Map<string, string[]>();
  for (const d of defs) {
    const found = live.get(d.AlarmName);
    for (const difference of found ? differences(found, d, topicArn) : ['missing']) byDifference.set(difference, [...(byDifference.get(difference) ?? []), d.AlarmName.slice(prefix.length)]);
  }
  return [...byDifference].map(([difference, alarms]) => `${difference}: ${alarms.join(', ')}`);
}

const outputsOf = (defs: AlarmDefinition[]): Outputs => ({ alarmNames: defs.map((d) => d.AlarmName).join(',') });

/** CloudWatch alarms that notify the alarm topic when records are late, dropped or set aside. */
export function alarmsStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const cloudwatch = () => consumer.clients.cloudwatch();
  const describe = async (step: StepContext, alarmNames: string[]) =>
    (await callAws(step.clock, async () => (await cloudwatch()).send(new DescribeAlarmsCommand({ AlarmNames: alarmNames })))).MetricAlarms ?? [];
  return {
    id: STEP.alarms,
    title: `alarms ${names.alarmPrefix}*`,
    idOutput: 'alarmNames',
    removal: ({ outputs }) => `delete alarms ${(outputs.alarmNames ?? '').split(',').join(', ')}`,
    health: (live) => alarmsHealth(live),
    account: 'consumer',
    dependsOn: [STEP.esm, STEP.alarmTopic],
    checkNeeds: [],
    async check(step) {
      if (config.alarms.kind === 'none') return { status: 'skip', detail: 'no alarms (--alarms)' };
      const uuid = step.existingOutputsOf(STEP.esm)?.uuid;
      if (!uuid) return { status: 'missing' };
      const defs = alarmDefinitions(ctx, uuid);
      const live = new Map((await describe(step, defs.map((d) => d.AlarmName))).map((a) => [a.AlarmName!, a]));
      if (live.size === 0) return { status: 'missing' };
      const first = [...live.values()][0]!;
      const tags = (await callAws(step.clock, async () => (await cloudwatch()).send(new ListTagsForResourceCommand({ ResourceARN: first.AlarmArn })))).Tags ?? [];
      const origin = originOf(ctx, STEP.alarms, `Alarm ${first.AlarmName}`, Object.fromEntries(tags.map((t) => [t.Key!, t.Value!])), '--name');
      const topicArn = alarmTopicArn(ctx)!;
      const wrong = describeDifferences(defs, live, topicArn, names.alarmPrefix);
      if (origin === 'adopted' || wrong.length === 0) return { status: 'done', origin, outputs: outputsOf(defs) };
      return { status: 'update', origin, outputs: outputsOf(defs), detail: wrong.join('; ') };
    },
    async apply(step) {
      const defs = alarmDefinitions(ctx, step.outputsOf(STEP.esm).uuid!);
      const client = await cloudwatch();
      const tags = Object.entries(names.tags).map(([Key, Value]) => ({ Key, Value }));
      const topicArn = alarmTopicArn(ctx)!;
      for (const [i, def] of defs.entries()) {
        await callAws(step.clock, () => client.send(new PutMetricAlarmCommand({ ...def, ...EVALUATION, AlarmActions: [topicArn], Tags: tags })));
        // Recorded one by one: a rollback after the third deletes the first three.
        await step.record(outputsOf(defs.slice(0, i + 1)));
      }
      return outputsOf(defs);
    },
    async undo(step, outputs) {
      const client = await cloudwatch();
      // Names that are already gone are no error: DeleteAlarms still deletes the others (DeleteAlarms API reference).
      await ignoreMissing(() => callAws(step.clock, () => client.send(new DeleteAlarmsCommand({ AlarmNames: outputs.alarmNames!.split(',') }))), 'ResourceNotFound');
    },
  };
}

/**
 * The alarms' states in a few words, for the status line: those not OK by name ("ALARM records-dropped"), the
 * OK ones counted, so that the line stays short while naming every alarm that needs a look.
 */
function alarmStates(alarms: MetricAlarm[], prefix: string): string {
  const byState = new Map<string, string[]>();
  for (const a of alarms) byState.set(a.StateValue!, [...(byState.get(a.StateValue!) ?? []), a.AlarmName!.slice(prefix.length)]);
  const ok = byState.get('OK')?.length;
  byState.delete('OK');
  return [...[...byState].map(([state, names]) => `${state} ${names.join(', ')}`), ...(ok ? [`${ok} OK`] : [])].join('; ');
}

/** Each alarm's state as CloudWatch reports it (OK, ALARM, INSUFFICIENT_DATA); one in ALARM is a finding. */
async function alarmsHealth(live: HealthContext): Promise<HealthReading> {
  const { pipeline } = live;
  const alarmNames = live.outputsOf(STEP.alarms).alarmNames;
  if (pipeline.config.alarms.kind === 'none' || !alarmNames) return {};
  const read = await live.read('alarms', async () => (await pipeline.consumer.clients.cloudwatch()).send(new DescribeAlarmsCommand({ AlarmNames: alarmNames.split(',') })));
  if (!read.ok) return {};
  const alarms = read.value.MetricAlarms ?? [];
  return {
    state: alarmStates(alarms, pipeline.names.alarmPrefix),
    findings: alarms
      .filter((a) => a.StateValue === 'ALARM')
      .map((a) => ({ severity: 'error' as const, step: STEP.alarms, account: 'consumer' as const, message: `alarm ${a.AlarmName} is in ALARM: ${a.AlarmDescription ?? a.StateReason}`, fix: `see what failed with \`${live.tailLogsCommand('1h')}\`` })),
  };
}
