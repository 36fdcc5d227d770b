import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, type StreamDescriptionSummary } from '@aws-sdk/client-kinesis';
import type { AccountSession } from '../../aws/session.js';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { waitFor } from '../../engine/wait.js';
import { UserError } from '../../errors.js';
import { arns } from '../names.js';
import { callAws } from '../../aws/retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
import { repairFix, unreadable, type HealthContext, type HealthReading } from '../health-reading.js';
import { ignoreMissing, isOurs, originOf } from './shared.js';
import { describeStream, kinesisTags } from '../lookups.js';
import { awsManagedKeyError } from './kms-key.js';

export async function waitForStream(ctx: StepContext, session: AccountSession, streamName: string, until: (s: StreamDescriptionSummary) => boolean, what: string) {
  await waitFor(async () => {
    const summary = await describeStream(ctx.clock, session, streamName);
    if (!summary) throw new Error(`Stream ${streamName} disappeared while waiting for it to be ${what}.`);
    return until(summary) ? { done: true, value: summary } : { done: false, detail: `stream is ${summary.StreamStatus}` };
  }, waitOptions(ctx, `stream ${streamName} to be ${what}`));
}

export async function waitForStreamGone(ctx: StepContext, session: AccountSession, streamName: string) {
  await waitFor(async () => {
    const summary = await describeStream(ctx.clock, session, streamName);
    return summary ? { done: false, detail: `stream is ${summary.StreamStatus}` } : { done: true, value: undefined };
  }, waitOptions(ctx, `stream ${streamName} to be deleted`));
}

/**
 * Said before an adopted stream is encrypted: once SSE-KMS is on, Kinesis needs kms:GenerateDataKey
 * from every producer and kms:Decrypt from every consumer on the key (Kinesis Data Streams developer
 * guide, "Permissions to use user-generated KMS keys"), and the stream's other users do not have them yet.
 */
function encryptionWarning(streamName: string, key: string): string {
  return (
    `Stream ${streamName} is not encrypted: setup encrypts it with KMS key ${key}. From then on its producers need kms:GenerateDataKey ` +
    `and its other consumers kms:Decrypt on that key, or their calls fail. To avoid that, pass --kms-key with a key they may already use.`
  );
}

/** The Kinesis data stream: created on demand or provisioned, or an existing one adopted. */
export function streamStep(ctx: PipelineContext): PipelineStep {
  const { producer, names, config } = ctx;
  const streamArn = arns.stream(producer.region, producer.accountId, config.streamName);
  return {
    id: STEP.stream,
    title: `stream ${config.streamName}`,
    idOutput: 'streamArn',
    goesWithStream: true,
    health: (live) => streamHealth(live),
    removal: ({ outputs }) => `delete stream ${outputs.streamName ?? ''}`,
    account: 'producer',
    dependsOn: [],
    async check(step) {
      const summary = await describeStream(step.clock, producer, config.streamName);
      if (!summary) {
        if (config.useExistingStream) {
          throw new UserError(
            `Stream ${config.streamName} was not found in account ${producer.accountId} (${producer.region}).`,
            'Check --stream-name and the region, or leave out --use-existing-stream to create it.',
          );
        }
        return { status: 'missing' };
      }
      if (summary.StreamStatus === 'DELETING') {
        throw new UserError(`Stream ${config.streamName} is being deleted.`, 'Wait until it is gone, then run setup again.');
      }
      if (summary.EncryptionType === 'KMS' && summary.KeyId === 'alias/aws/kinesis') throw awsManagedKeyError(config.streamName);
      const tagMap = await kinesisTags(step.clock, producer.clients.kinesis, summary.StreamARN!);
      const origin = config.useExistingStream && !isOurs(ctx, tagMap, STEP.stream) ? 'adopted' : originOf(ctx, STEP.stream, `Stream ${config.streamName}`, tagMap, '--stream-name');
      const mode = summary.StreamModeDetails?.StreamMode;
      const wanted = config.capacityMode === 'provisioned' ? 'PROVISIONED' : 'ON_DEMAND';
      const capacityDiffers = origin === 'created' && (mode !== wanted || (wanted === 'PROVISIONED' && summary.OpenShardCount !== config.shards));
      const willEncrypt = origin === 'adopted' && summary.EncryptionType !== 'KMS';
      return {
        status: 'done',
        origin,
        outputs: { streamName: config.streamName, streamArn: summary.StreamARN!, origin },
        ...(willEncrypt && { warnings: [encryptionWarning(config.streamName, config.kmsKey ?? names.kmsAlias)] }),
        // Resharding a stream in use is the user's decision (aws kinesis update-stream-mode / update-shard-count), not setup's.
        detail:
          origin === 'adopted'
            ? `existing ${mode ?? ''} stream${willEncrypt ? ', not encrypted' : ''}`.replace('  ', ' ')
            : capacityDiffers
              ? `it is ${mode}${mode === 'PROVISIONED' ? ` with ${summary.OpenShardCount} shards` : ''}; kds-xacct does not change the capacity of an existing stream`
              : undefined,
      };
    },
    async apply(step) {
      await callAws(step.clock, () =>
        producer.clients.kinesis.send(
          new CreateStreamCommand({
            StreamName: config.streamName,
            StreamModeDetails: { StreamMode: config.capacityMode === 'provisioned' ? 'PROVISIONED' : 'ON_DEMAND' },
            ...(config.capacityMode === 'provisioned' && { ShardCount: config.shards }),
            Tags: names.tags,
          }),
        ),
      );
      return { streamName: config.streamName, streamArn, origin: 'created' };
    },
    async wait(step) {
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE', 'ACTIVE');
    },
    async undo(step, outputs) {
      // Already DELETING (an earlier run was stopped while waiting): only the wait is left.
      if ((await describeStream(step.clock, producer, outputs.streamName!))?.StreamStatus !== 'DELETING') {
        await ignoreMissing(() => callAws(step.clock, () => producer.clients.kinesis.send(new DeleteStreamCommand({ StreamName: outputs.streamName }))));
      }
      await waitForStreamGone(step, producer, outputs.streamName!);
    },
  };
}

/** The stream's summary, read once for the health of the stream and of its encryption. */
export const readStreamSummary = ({ read, pipeline }: HealthContext) =>
  read('stream summary', () => pipeline.producer.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: pipeline.config.streamName })));

/** Whether the stream is encrypted with the deployment's key, named in any of the ways Kinesis reports it. */
export function encryptedWithOurKey(summary: StreamDescriptionSummary | undefined, live: HealthContext): boolean {
  const key = live.outputsOf(STEP.kmsKey);
  const keyId = summary?.KeyId;
  return summary?.EncryptionType === 'KMS' && keyId !== undefined && [key.keyId, key.keyArn, key.aliasName, live.pipeline.config.kmsKey].includes(keyId);
}

/** The stream's status (a stream CREATING or being deleted), and its encryption as the report's stream line shows it. */
async function streamHealth(live: HealthContext): Promise<HealthReading> {
  const { streamName } = live.pipeline.config;
  const read = await readStreamSummary(live);
  const findings = unreadable(live, read, STEP.stream, 'producer', `stream ${streamName}`);
  if (!read.ok) return { findings };
  const summary = read.value.StreamDescriptionSummary;
  const status = summary?.StreamStatus;
  const keyId = summary?.KeyId;
  if (status === 'CREATING' || status === 'UPDATING') {
    findings.push({ severity: 'warning', step: STEP.stream, account: 'producer', message: `stream ${streamName} is ${status}`, fix: 'wait a minute and run status again' });
  } else if (status === 'DELETING') {
    findings.push({ severity: 'error', step: STEP.stream, account: 'producer', message: `stream ${streamName} is being deleted`, fix: `once it is gone, ${repairFix(live)} (a new stream is created; its data is lost)` });
  }
  const encryption = { type: summary?.EncryptionType ?? 'NONE', ...(keyId && { keyId }), ours: encryptedWithOurKey(summary, live) };
  return { ...(status && { state: status }), findings, report: { stream: { ...(status && { status }), encryption } } };
}
