import { CreateStreamCommand, DeleteStreamCommand, type StreamDescriptionSummary } from '@aws-sdk/client-kinesis';
import type { AccountSession } from '../../aws/session.js';
import type { Step, StepContext } from '../../engine/types.js';
import { waitFor } from '../../engine/wait.js';
import { UserError } from '../../errors.js';
import { arns } from '../names.js';
import { callAws } from '../../aws/retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
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
export function streamStep(ctx: PipelineContext): Step {
  const { producer, names, config } = ctx;
  const streamArn = arns.stream(producer.region, producer.accountId, config.streamName);
  return {
    id: STEP.stream,
    title: `stream ${config.streamName}`,
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
