import { CreateAliasCommand, CreateKeyCommand, DeleteAliasCommand, DescribeKeyCommand, ListAliasesCommand, ScheduleKeyDeletionCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import type { AccountSession } from '../../aws/session.js';
import type { Clock } from '../../engine/clock.js';
import type { Step, StepContext } from '../../engine/types.js';
import { UserError } from '../../errors.js';
import { TAG_DEPLOYMENT } from '../names.js';
import { callAws, ifExists } from '../retry.js';
import { STEP, type PipelineContext } from './context.js';
import { ignoreMissing, originOf } from './shared.js';
import { describeStream, kmsKeyTags } from '../lookups.js';

/** An AWS managed key (alias/aws/kinesis) can never be used from another account: refuse early and say why. */
export function awsManagedKeyError(streamName: string): UserError {
  return new UserError(
    `Stream ${streamName} is encrypted with the AWS managed key alias/aws/kinesis. Sharing an encrypted stream with another account needs a customer managed key (Kinesis Developer Guide, "Controlling access"), so a consumer in another account cannot decrypt its records.`,
    'Re-encrypt the stream with a customer managed key (`aws kinesis start-stream-encryption --encryption-type KMS --key-id <your key>`) and pass that key with --kms-key, or use a stream encrypted with a customer managed key.',
  );
}

/** The longest waiting period ScheduleKeyDeletion accepts (KMS API reference: 7 to 30 days). */
export const MAX_KEY_PENDING_DAYS = 30;

/** How long a key that encrypted an adopted stream must outlive its records. */
export interface RecordsOutlive {
  streamName: string;
  retentionHours: number;
  /** The shortest waiting period that covers the retention; above MAX_KEY_PENDING_DAYS no deletion can. */
  days: number;
}

/**
 * StopStreamEncryption leaves the records written before it encrypted (StopStreamEncryption API
 * reference), and they stay readable only while the key exists, until the stream's retention period
 * has passed. A key we created on an adopted stream encrypted other people's records; a stream we
 * created goes away whole, with its records, so only an adopted one matters.
 */
export async function recordsOutlive(clock: Clock, producer: AccountSession, streamName: string): Promise<RecordsOutlive | undefined> {
  const retentionHours = (await describeStream(clock, producer, streamName))?.RetentionPeriodHours;
  if (retentionHours === undefined) return undefined;
  return { streamName, retentionHours, days: Math.ceil(retentionHours / 24) };
}

/**
 * How the plan, status and teardown name the key: as the user gave it, by the alias kds-xacct made,
 * or, for an adopted stream's own key, by the key's own alias or ARN as recorded. Never by our alias
 * before it is known that the key is ours: a stream adopted from another deployment has that one's key.
 */
function keyTitle(ctx: PipelineContext): string {
  const { config, names } = ctx;
  const recorded = ctx.previous.steps[STEP.kmsKey];
  if (config.kmsKey) return `KMS key ${config.kmsKey}`;
  if (!config.useExistingStream || recorded?.origin === 'created') return `KMS key ${names.kmsAlias}`;
  if (recorded?.origin === 'adopted') return `the stream's own KMS key ${recorded.outputs.keyAlias ?? recorded.outputs.keyArn}`;
  return `KMS key for stream ${config.streamName}`;
}

/** The customer managed key that encrypts the stream: created with its alias, or an existing one adopted. */
export function kmsKeyStep(ctx: PipelineContext): Step {
  const { producer, names, config } = ctx;
  const kms = producer.clients.kms;
  const found = (meta: KeyMetadata) => ({ keyId: meta.KeyId!, keyArn: meta.Arn! });
  const describe = async (step: StepContext, keyRef: string) => (await ifExists(step.clock, () => kms.send(new DescribeKeyCommand({ KeyId: keyRef }))))?.KeyMetadata;
  /**
   * The key an adopted stream is encrypted with, unless it is this deployment's own: setup encrypted
   * an unencrypted stream with the key it made, and that key stays ours (and is deleted by teardown).
   */
  const streamsOwnKey = async (step: StepContext): Promise<{ keyRef: string; meta: KeyMetadata | undefined } | undefined> => {
    if (!config.useExistingStream || config.kmsKey) return undefined;
    const keyRef = (await describeStream(step.clock, producer, config.streamName))?.KeyId;
    if (!keyRef) return undefined;
    const meta = await describe(step, keyRef);
    if (!meta || meta.KeyManager === 'AWS') return { keyRef, meta };
    const recorded = ctx.previous.steps[STEP.kmsKey];
    const ours = (recorded?.origin === 'created' && recorded.outputs.keyId === meta.KeyId) || (await kmsKeyTags(step.clock, kms, meta.KeyId!))[TAG_DEPLOYMENT] === names.deployment;
    return ours ? undefined : { keyRef, meta };
  };
  /**
   * The name a person knows the key by: the alias it was named by, else its alias (KMS ListAliases API
   * reference: KeyId lists only that key's aliases), else undefined.
   */
  const aliasOf = async (step: StepContext, keyRef: string, keyId: string) => {
    const named = /(?:^|:)(alias\/.+)$/.exec(keyRef)?.[1];
    if (named) return named;
    const { Aliases } = await callAws(step.clock, () => kms.send(new ListAliasesCommand({ KeyId: keyId })));
    return Aliases?.find((a) => a.AliasName && !a.AliasName.startsWith('alias/aws/'))?.AliasName;
  };
  return {
    id: STEP.kmsKey,
    title: keyTitle(ctx),
    account: 'producer',
    dependsOn: [],
    async check(step) {
      // An adopted stream that is already encrypted keeps its key: kds-xacct never re-encrypts a stream in use.
      const streamKey = await streamsOwnKey(step);
      const existingKey = config.kmsKey ?? streamKey?.keyRef;
      if (existingKey) {
        const meta = streamKey ? streamKey.meta : await describe(step, existingKey);
        if (!meta) throw new UserError(`KMS key ${existingKey} was not found in account ${producer.accountId} (${producer.region}).`, 'Check --kms-key, or leave it out to let kds-xacct create a key.');
        if (meta.KeyManager === 'AWS') throw awsManagedKeyError(config.streamName);
        if (meta.KeyState !== 'Enabled') throw new UserError(`KMS key ${existingKey} is ${meta.KeyState}, not Enabled.`, 'Enable the key or choose another with --kms-key.');
        const keyAlias = await aliasOf(step, existingKey, meta.KeyId!);
        // keyRef: the stream may name the key by the alias it was given, which DescribeKey does not return.
        const outputs = { ...found(meta), keyRef: existingKey, ...(keyAlias && { keyAlias }) };
        return { status: 'done', origin: 'adopted', outputs, detail: streamKey ? `the stream's own key ${keyAlias ?? meta.Arn}` : 'existing customer managed key' };
      }
      const meta = await describe(step, names.kmsAlias);
      if (!meta) return { status: 'missing' };
      const origin = originOf(ctx, STEP.kmsKey, `KMS alias ${names.kmsAlias}`, await kmsKeyTags(step.clock, kms, meta.KeyId!), '--kms-key');
      return { status: 'done', origin, outputs: { ...found(meta), aliasName: names.kmsAlias } };
    },
    async apply(step) {
      // A key an earlier run created before its alias failed is ours: give it the alias rather than leak it.
      const earlier = step.previous?.outputs.keyId;
      const leftover = earlier ? await describe(step, earlier) : undefined;
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
      const outlive = config.useExistingStream ? await recordsOutlive(step.clock, producer, config.streamName) : undefined;
      if (outlive && outlive.days > MAX_KEY_PENDING_DAYS) {
        throw new UserError(
          `KMS key ${outputs.keyId} still decrypts records of stream ${outlive.streamName}, which keeps them for ${outlive.retentionHours} hours: longer than the ${MAX_KEY_PENDING_DAYS}-day maximum waiting period, so deleting the key would make them unreadable. The key was not scheduled for deletion.`,
          `Keep the key until those records have expired (run teardown with --keep-key), or shorten the stream's retention first (\`aws kinesis decrease-stream-retention-period\`).`,
        );
      }
      if (outputs.aliasName) await ignoreMissing(() => callAws(step.clock, () => kms.send(new DeleteAliasCommand({ AliasName: outputs.aliasName }))));
      const days = Math.max(ctx.keyPendingDays, outlive?.days ?? 0);
      // KMSInvalidStateException: already pending deletion from an earlier attempt, the end state we want.
      await ignoreMissing(
        () => callAws(step.clock, () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: outputs.keyId, PendingWindowInDays: days }))),
        'KMSInvalidStateException',
      );
    },
  };
}
