import { CreateAliasCommand, CreateKeyCommand, DeleteAliasCommand, DescribeKeyCommand, ListAliasesCommand, ScheduleKeyDeletionCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import { awsCommand, type AccountSession } from '../../aws/session.js';
import type { Clock } from '../../engine/clock.js';
import { KeptOnPurpose, type Outputs, type StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { UserError } from '../../errors.js';
import { TAG_DEPLOYMENT } from '../names.js';
import { callAws, ifExists } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { unreadable, type HealthContext, type HealthReading } from '../health-reading.js';
import { ignoreMissing, originOf } from './shared.js';
import { describeStream, kmsKeyTags } from '../lookups.js';

/** An AWS managed key (alias/aws/kinesis) can never be used from another account: refuse early and say why. */
export function awsManagedKeyError(streamName: string): UserError {
  return new UserError(
    `Stream ${streamName} is encrypted with the AWS managed key alias/aws/kinesis. Sharing an encrypted stream with another account needs a customer managed key (Kinesis Developer Guide, "Controlling access"), so a consumer in another account cannot decrypt its records.`,
    'Re-encrypt the stream with a customer managed key (`aws kinesis start-stream-encryption --encryption-type KMS --key-id <your key>`) and pass that key with --kms-key, or use a stream encrypted with a customer managed key.',
  );
}

/**
 * StopStreamEncryption API reference: "It can take up to 5 seconds after the stream is in an ACTIVE status
 * before all records written to the stream are no longer subject to encryption."
 */
const ENCRYPTION_STOP_LAG_MS = 5_000;

/** Why our key must stay Enabled: an adopted stream may still hold records it encrypted, until `until`. */
export interface KeyHold {
  streamName: string;
  retentionHours: number;
  /** When the key stopped encrypting the stream's new records (epoch ms). */
  encryptionStoppedAt: number;
  /** When the last record it encrypted expires (epoch ms): from then on the key may be scheduled for deletion. */
  until: number;
}

/** The stream whose records our key may still decrypt: recorded with the key once encryption stopped, else the adopted stream. */
export function encryptedStreamOf(outputs: Outputs, config: Pick<PipelineContext['config'], 'useExistingStream' | 'streamName'>): string | undefined {
  return outputs.encryptedStream ?? (config.useExistingStream ? config.streamName : undefined);
}

/**
 * Records keep the key that encrypted them after StopStreamEncryption (its API reference), until the stream's
 * retention period has passed; and a key that is disabled or pending deletion decrypts nothing (KMS developer
 * guide, "Key states of AWS KMS keys"; ScheduleKeyDeletion API reference: "can't be used in any cryptographic
 * operations"). So a key that encrypted an adopted stream stays Enabled until then. A stream we created goes
 * away whole, and one that is gone has no records left: neither holds the key.
 *
 * When encryption stopped is, the latest of: now, while the stream is still encrypted with the key; the stop
 * recorded with the key by an earlier run; `stoppedThisRun`. With none of them the key never encrypted the stream.
 */
export async function keyHold(clock: Clock, producer: AccountSession, streamName: string | undefined, outputs: Outputs, stoppedThisRun?: number): Promise<KeyHold | undefined> {
  if (streamName === undefined) return undefined;
  const summary = await describeStream(clock, producer, streamName);
  const retentionHours = summary?.RetentionPeriodHours;
  if (retentionHours === undefined) return undefined;
  const encrypting = summary?.EncryptionType === 'KMS' && [outputs.keyId, outputs.keyArn, outputs.aliasName].includes(summary.KeyId);
  const lagged = (t: number | undefined) => (t === undefined ? Number.NaN : t + ENCRYPTION_STOP_LAG_MS);
  const stops = [lagged(encrypting ? clock.now() : undefined), Date.parse(outputs.encryptionStoppedAt ?? ''), lagged(stoppedThisRun)].filter((t) => !Number.isNaN(t));
  if (stops.length === 0) return undefined;
  const encryptionStoppedAt = Math.max(...stops);
  const until = encryptionStoppedAt + retentionHours * 3_600_000;
  return until > clock.now() ? { streamName, retentionHours, encryptionStoppedAt, until } : undefined;
}

/** What the state (and the record of a teardown) keeps of a held key, so that a later teardown knows when it may go. */
export function heldKeyOutputs(outputs: Outputs, hold: KeyHold): Outputs {
  return { ...outputs, encryptedStream: hold.streamName, encryptionStoppedAt: new Date(hold.encryptionStoppedAt).toISOString(), keptUntil: new Date(hold.until).toISOString() };
}

/**
 * When our key stopped encrypting an adopted stream, as the state records it (a rollback that kept the key): carried
 * into the key's record by a later run, which would otherwise forget it and let a teardown delete the key too early.
 */
function encryptionStopOf(ctx: PipelineContext, keyId: string): Outputs {
  const recorded = ctx.previous.steps[STEP.kmsKey]?.outputs;
  if (recorded?.keyId !== keyId || !recorded.encryptionStoppedAt) return {};
  const { encryptedStream, encryptionStoppedAt, keptUntil } = recorded;
  return { encryptionStoppedAt, ...(encryptedStream && { encryptedStream }), ...(keptUntil && { keptUntil }) };
}

/** Why the key is kept, in a sentence: the plan, teardown, status and a rollback all say it the same way. */
export function keyHoldReason(hold: KeyHold): string {
  return `stream ${hold.streamName} keeps the records it encrypted for ${hold.retentionHours} hours, until ${new Date(hold.until).toISOString()}, and a key pending deletion decrypts nothing, so it stays Enabled until then`;
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
export function kmsKeyStep(ctx: PipelineContext): PipelineStep {
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
    idOutput: 'keyArn',
    // The waiting period is said, because after it the key and everything encrypted with it are gone for good.
    removal: ({ outputs }, keyPendingDays) =>
      `schedule deletion of KMS key ${outputs.keyArn ?? outputs.keyId ?? ''}${outputs.aliasName ? ` and delete alias ${outputs.aliasName}` : ''} (deleted after ${keyPendingDays} days)`,
    // A stream that fails to delete must stay readable.
    removedAfter: [STEP.stream],
    health: (live) => keyHealth(live),
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
      return { status: 'done', origin, outputs: { ...found(meta), aliasName: names.kmsAlias, ...encryptionStopOf(ctx, meta.KeyId!) } };
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
      const hold = await keyHold(step.clock, producer, encryptedStreamOf(outputs, config), outputs, ctx.encryptionStoppedAt);
      if (hold) throw new KeptOnPurpose(`KMS key ${outputs.keyArn ?? outputs.keyId}: ${keyHoldReason(hold)}`, heldKeyOutputs(outputs, hold));
      if (outputs.aliasName) await ignoreMissing(() => callAws(step.clock, () => kms.send(new DeleteAliasCommand({ AliasName: outputs.aliasName }))));
      // KMSInvalidStateException: already pending deletion from an earlier attempt, the end state we want.
      await ignoreMissing(
        () => callAws(step.clock, () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: outputs.keyId, PendingWindowInDays: ctx.keyPendingDays }))),
        'KMSInvalidStateException',
      );
      return `scheduled for deletion in ${ctx.keyPendingDays} days`;
    },
  };
}

/** The deployment's key as status reads it: by the id it found, else as the config or our alias names it. */
export function keyReference(live: HealthContext): string {
  return live.outputsOf(STEP.kmsKey).keyId ?? live.pipeline.config.kmsKey ?? live.pipeline.names.kmsAlias;
}

/** The key's state: one that is not Enabled decrypts nothing, and one pending deletion takes the stream's records with it. */
async function keyHealth(live: HealthContext): Promise<HealthReading> {
  const { producer } = live.pipeline;
  const keyRef = keyReference(live);
  const read = await live.read('key', () => producer.clients.kms.send(new DescribeKeyCommand({ KeyId: keyRef })));
  const findings = unreadable(live, read, STEP.kmsKey, 'producer', `KMS key ${keyRef}`);
  if (!read.ok) return { findings };
  const meta = read.value.KeyMetadata;
  if (meta?.KeyState === 'PendingDeletion') {
    findings.push({
      severity: 'error',
      step: STEP.kmsKey,
      account: 'producer',
      message: `KMS key ${meta.KeyId} is scheduled for deletion: the stream's records become unreadable when it is deleted`,
      fix: `\`${awsCommand(producer, `kms cancel-key-deletion --key-id ${meta.KeyId}`)} && ${awsCommand(producer, `kms enable-key --key-id ${meta.KeyId}`)}\``,
    });
  } else if (meta?.KeyState && meta.KeyState !== 'Enabled') {
    findings.push({ severity: 'error', step: STEP.kmsKey, account: 'producer', message: `KMS key ${meta.KeyId} is ${meta.KeyState}, not Enabled`, fix: `\`${awsCommand(producer, `kms enable-key --key-id ${meta.KeyId}`)}\`` });
  }
  return { ...(meta?.KeyState && { state: meta.KeyState }), findings };
}
