import { StartStreamEncryptionCommand, StopStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import type { Outputs } from '../../engine/types.js';
import { keyReference } from './kms-key.js';
import type { PipelineStep } from './pipeline-step.js';
import { UserError } from '../../errors.js';
import { callAws } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { describeStream } from '../lookups.js';
import { encryptedWithOurKey, readStreamSummary, waitForStream } from './stream.js';
import { repairFix, type HealthContext, type HealthReading } from '../health-reading.js';

/** Kinesis reports the key as it was given: an id, an ARN or an alias. Any of ours matches. */
function isKey(keyIdFromStream: string | undefined, key: Outputs): boolean {
  return keyIdFromStream !== undefined && [key.keyId, key.keyArn, key.aliasName, key.keyRef].includes(keyIdFromStream);
}

/** A stream we created goes away whole, its encryption with it; only an adopted stream is put back as it was. */
const streamAdopted = (outputs: Outputs) => outputs.streamOrigin === 'adopted';

/** SSE-KMS on the stream with our key; an adopted stream that is already encrypted keeps its own key. */
export function encryptionStep(ctx: PipelineContext): PipelineStep {
  const { producer, config } = ctx;
  const kinesis = producer.clients.kinesis;
  return {
    id: STEP.encryption,
    title: `SSE-KMS encryption of ${config.streamName}`,
    idOutput: 'keyArn',
    removal: ({ outputs }) => (streamAdopted(outputs) ? `stop SSE-KMS encryption of the adopted stream (kds-xacct enabled it)` : `SSE-KMS encryption (goes with the stream)`),
    removesNothing: (outputs) => !streamAdopted(outputs),
    goesWithStream: true,
    health: (live) => encryptionHealth(live),
    account: 'producer',
    dependsOn: [STEP.stream, STEP.kmsKey],
    // StartStreamEncryption keeps the stream UPDATING, and RegisterStreamConsumer needs it ACTIVE: the
    // consumer is registered first, and the encryption starts at once while the consumer is CREATING.
    startsAfter: [STEP.consumer],
    async check(step) {
      const key = step.outputsOf(STEP.kmsKey);
      const summary = await describeStream(step.clock, producer, config.streamName);
      if (summary?.EncryptionType === 'KMS') {
        if (isKey(summary.KeyId, key)) return { status: 'done', origin: step.previous?.origin ?? 'adopted', outputs: { keyArn: key.keyArn! }, detail: 'already encrypted with the key' };
        throw new UserError(
          `Stream ${config.streamName} is encrypted with KMS key ${summary.KeyId}, not ${key.keyArn}.`,
          `Pass --kms-key ${summary.KeyId} to use the stream's own key; kds-xacct does not re-encrypt a stream in use.`,
        );
      }
      // What that means for an adopted stream's other users, the stream's check has said in the plan.
      return { status: 'missing', detail: 'the stream is not encrypted; SSE-KMS will be enabled' };
    },
    async apply(step) {
      const key = step.outputsOf(STEP.kmsKey);
      await callAws(step.clock, () => kinesis.send(new StartStreamEncryptionCommand({ StreamName: config.streamName, EncryptionType: 'KMS', KeyId: key.keyArn })));
      return { keyArn: key.keyArn!, streamOrigin: step.outputsOf(STEP.stream).origin! };
    },
    async wait(step) {
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE' && isKey(s.KeyId, step.outputsOf(STEP.kmsKey)), 'ACTIVE and encrypted');
    },
    async undo(step, outputs) {
      if (!streamAdopted(outputs)) return;
      await callAws(step.clock, () => kinesis.send(new StopStreamEncryptionCommand({ StreamName: config.streamName, EncryptionType: 'KMS', KeyId: outputs.keyArn })));
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE', 'ACTIVE');
      ctx.encryptionStoppedAt = step.clock.now();
    },
  };
}

/** Whether the stream is encrypted at all, with a key another account can use, and with the deployment's. */
async function encryptionHealth(live: HealthContext): Promise<HealthReading> {
  const { streamName } = live.pipeline.config;
  const read = await readStreamSummary(live);
  if (!read.ok) return {};
  const summary = read.value.StreamDescriptionSummary;
  const state = summary?.EncryptionType === 'KMS' ? 'KMS' : 'NONE';
  if (live.reported(STEP.encryption)) return { state };
  const finding = (message: string, fix: string) => ({ state, findings: [{ severity: 'error' as const, step: STEP.encryption, account: 'producer' as const, message, fix }] });
  const keyId = summary?.KeyId;
  if (summary?.EncryptionType !== 'KMS') return finding(`stream ${streamName} is not encrypted`, repairFix(live));
  if (keyId === 'alias/aws/kinesis') {
    return finding(
      `stream ${streamName} is encrypted with the AWS managed key alias/aws/kinesis, which another account can never use`,
      're-encrypt it with a customer managed key (`aws kinesis start-stream-encryption --encryption-type KMS --key-id <key>`), then run setup with --kms-key <key>',
    );
  }
  if (!encryptedWithOurKey(summary, live) && !live.missing(STEP.kmsKey)) {
    const key = live.outputsOf(STEP.kmsKey);
    return finding(`stream ${streamName} is encrypted with KMS key ${keyId}, not the deployment's key ${key.keyArn ?? keyReference(live)}`, `run setup with --kms-key ${keyId} to use the stream's own key`);
  }
  return { state };
}
