import { CreateAliasCommand, CreateKeyCommand, DeleteAliasCommand, DescribeKeyCommand, ScheduleKeyDeletionCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import type { Step } from '../../engine/types.js';
import { UserError } from '../../errors.js';
import { callAws, ifExists } from '../retry.js';
import { STEP, type PipelineContext } from './context.js';
import { ignoreMissing, originOf } from './shared.js';
import { describeStream, kmsKeyTags } from '../lookups.js';

/** An AWS managed key (alias/aws/kinesis) can never be used from another account: refuse early and say why. */
export function awsManagedKeyError(streamName: string): UserError {
  return new UserError(
    `Stream ${streamName} is encrypted with the AWS managed key alias/aws/kinesis. The policy of an AWS managed key cannot be changed and grants on it cannot name another account, so a consumer in another account can never decrypt its records.`,
    'Re-encrypt the stream with a customer managed key (aws kinesis start-stream-encryption --encryption-type KMS --key-id <your key>) and pass that key with --kms-key, or use a stream encrypted with a customer managed key.',
  );
}

/** The customer managed key that encrypts the stream: created with its alias, or an existing one adopted. */
export function kmsKeyStep(ctx: PipelineContext): Step {
  const { producer, names, config } = ctx;
  const kms = producer.clients.kms;
  const found = (meta: KeyMetadata) => ({ keyId: meta.KeyId!, keyArn: meta.Arn! });
  return {
    id: STEP.kmsKey,
    title: config.kmsKey ? `KMS key ${config.kmsKey}` : `KMS key ${names.kmsAlias}`,
    account: 'producer',
    dependsOn: [],
    async check(step) {
      // An adopted stream that is already encrypted keeps its key: kds-xacct never re-encrypts a stream in use.
      const streamKey = config.useExistingStream && !config.kmsKey ? (await describeStream(step.clock, producer, config.streamName))?.KeyId : undefined;
      const existingKey = config.kmsKey ?? streamKey;
      if (existingKey) {
        const meta = (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: existingKey }))))?.KeyMetadata;
        if (!meta) throw new UserError(`KMS key ${existingKey} was not found in account ${producer.accountId} (${producer.region}).`, 'Check --kms-key, or leave it out to let kds-xacct create a key.');
        if (meta.KeyManager === 'AWS') throw awsManagedKeyError(config.streamName);
        if (meta.KeyState !== 'Enabled') throw new UserError(`KMS key ${existingKey} is ${meta.KeyState}, not Enabled.`, 'Enable the key or choose another with --kms-key.');
        // keyRef: the stream may name the key by the alias it was given, which DescribeKey does not return.
        return { status: 'done', origin: 'adopted', outputs: { ...found(meta), keyRef: existingKey }, detail: streamKey ? "the stream's own key" : 'existing customer managed key' };
      }
      const meta = (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: names.kmsAlias }))))?.KeyMetadata;
      if (!meta) return { status: 'missing' };
      const origin = originOf(ctx, STEP.kmsKey, `KMS alias ${names.kmsAlias}`, await kmsKeyTags(step.clock, kms, meta.KeyId!), '--kms-key');
      return { status: 'done', origin, outputs: { ...found(meta), aliasName: names.kmsAlias } };
    },
    async apply(step) {
      // A key an earlier run created before its alias failed is ours: give it the alias rather than leak it.
      const earlier = step.previous?.outputs.keyId;
      const leftover = earlier ? (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: earlier }))))?.KeyMetadata : undefined;
      const meta =
        leftover?.KeyState === 'Enabled'
          ? leftover
          : (
              await callAws(step.clock, () =>
                kms.send(
                  new CreateKeyCommand({
                    Description: `kds-xacct ${names.deployment}: encrypts stream ${config.streamName} for cross-account reads`,
                    KeyUsage: 'ENCRYPT_DECRYPT',
                    Tags: Object.entries(names.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
                  }),
                ),
              )
            ).KeyMetadata!;
      const key = found(meta);
      await step.record(key);
      await callAws(step.clock, () => kms.send(new CreateAliasCommand({ AliasName: names.kmsAlias, TargetKeyId: key.keyId })));
      return { ...key, aliasName: names.kmsAlias };
    },
    async undo(step, outputs) {
      if (outputs.aliasName) await ignoreMissing(() => callAws(step.clock, () => kms.send(new DeleteAliasCommand({ AliasName: outputs.aliasName }))));
      // KMSInvalidStateException: already pending deletion from an earlier attempt, the end state we want.
      await ignoreMissing(
        () => callAws(step.clock, () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: outputs.keyId, PendingWindowInDays: ctx.keyPendingDays }))),
        'KMSInvalidStateException',
      );
    },
  };
}
