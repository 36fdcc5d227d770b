import { StartStreamEncryptionCommand, StopStreamEncryptionCommand } from '@aws-sdk/client-kinesis';
import type { Outputs, Step } from '../../engine/types.js';
import { UserError } from '../../errors.js';
import { callAws } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { describeStream } from '../lookups.js';
import { waitForStream } from './stream.js';

/** Kinesis reports the key as it was given: an id, an ARN or an alias. Any of ours matches. */
function isKey(keyIdFromStream: string | undefined, key: Outputs): boolean {
  return keyIdFromStream !== undefined && [key.keyId, key.keyArn, key.aliasName, key.keyRef].includes(keyIdFromStream);
}

/** SSE-KMS on the stream with our key; an adopted stream that is already encrypted keeps its own key. */
export function encryptionStep(ctx: PipelineContext): Step {
  const { producer, config } = ctx;
  const kinesis = producer.clients.kinesis;
  return {
    id: STEP.encryption,
    title: `SSE-KMS encryption of ${config.streamName}`,
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
      // A stream we created goes away whole; only an adopted stream is put back as it was.
      if (outputs.streamOrigin !== 'adopted') return;
      await callAws(step.clock, () => kinesis.send(new StopStreamEncryptionCommand({ StreamName: config.streamName, EncryptionType: 'KMS', KeyId: outputs.keyArn })));
      await waitForStream(step, producer, config.streamName, (s) => s.StreamStatus === 'ACTIVE', 'ACTIVE');
      ctx.encryptionStoppedAt = step.clock.now();
    },
  };
}
