import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { DeploymentState } from '../deployment/store.js';
import type { Outputs } from '../engine/types.js';
import type { SetupConfig } from '../pipeline/config.js';
import { describeKey } from '../pipeline/lookups.js';
import { STEP } from '../pipeline/steps/context.js';
import { encryptedStreamOf, heldKeyOutputs, keyHold, keyHoldReason } from '../pipeline/steps/kms-key.js';
import type { KeptKey } from '../pipeline/teardown-plan.js';

/**
 * The key an earlier teardown kept, back in the state a re-run works on, with when its encryption stopped:
 * found by its alias and tag like the rest, or, with its alias gone, by its id while it is not yet pending deletion.
 */
export async function restoreKeptKey(clock: Clock, producer: AccountSession, state: DeploymentState, recorded: Outputs | undefined): Promise<void> {
  if (!recorded?.keyId) return;
  const found = state.steps[STEP.kmsKey];
  if (found && found.outputs.keyId !== recorded.keyId) return;
  if (!found) {
    const meta = await describeKey(clock, producer.clients.kms, recorded.keyId);
    if (!meta || meta.KeyState === 'PendingDeletion') return;
  }
  const { keyId, keyArn, aliasName, encryptedStream, encryptionStoppedAt } = { ...found?.outputs, ...recorded };
  const outputs = { keyId, keyArn, aliasName, encryptedStream, encryptionStoppedAt };
  state.steps[STEP.kmsKey] = {
    origin: 'created',
    phase: 'ready',
    outputs: Object.fromEntries(Object.entries(outputs).filter((e): e is [string, string] => e[1] !== undefined)),
    runId: found?.runId ?? 'torn-down',
    updatedAt: new Date(clock.now()).toISOString(),
  };
}

/** The key a teardown kept, as its record says, with whether it must stay Enabled still: for status. */
export async function recordedKeptKey(clock: Clock, producer: AccountSession, outputs: Outputs): Promise<KeptKey> {
  const hold = await keyHold(clock, producer, outputs.encryptedStream, outputs);
  return { outputs, byFlag: false, ...(hold && { hold }) };
}

/** The key's outputs once encryption stopped at `stoppedAt` (this run's stop, if it made one), for the state and the record of the teardown. */
export async function settleKeptKey(clock: Clock, producer: AccountSession, kept: KeptKey, config: SetupConfig, stoppedAt: number | undefined): Promise<KeptKey> {
  const hold = await keyHold(clock, producer, encryptedStreamOf(kept.outputs, config), kept.outputs, stoppedAt);
  return hold ? { ...kept, outputs: heldKeyOutputs(kept.outputs, hold), hold } : { outputs: kept.outputs, byFlag: kept.byFlag };
}

function keyName(outputs: Outputs): string {
  return `${outputs.keyArn ?? outputs.keyId}${outputs.aliasName ? ` (${outputs.aliasName})` : ''}`;
}

/** "9 days 23 hours", "5 hours 10 minutes": how long until the key may go. */
export function timeLeft(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const [days, hours, mins] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days > 0) return [unit(days, 'day'), hours > 0 ? unit(hours, 'hour') : ''].filter(Boolean).join(' ');
  return [hours > 0 ? unit(hours, 'hour') : '', mins > 0 ? unit(mins, 'minute') : ''].filter(Boolean).join(' ');
}

/** The plan's line for the kept key, under the producer account. */
export function keptKeyPlanLine(kept: KeptKey): string {
  return `  = keep KMS key ${keyName(kept.outputs)}${kept.hold ? ` until about ${new Date(kept.hold.until).toISOString()}` : ' (--keep-key)'}`;
}

/** Why the key is kept and how it goes later, said in the plan before anything changes. */
export function keptKeyPlanNote(kept: KeptKey, teardown: string): string {
  if (!kept.hold) return `The KMS key is kept (--keep-key). Run \`${teardown}\` again without --keep-key to schedule its deletion.`;
  return `The KMS key is kept, Enabled: ${keyHoldReason(kept.hold)} (for every reader of the stream, not only this deployment). Run \`${teardown}\` again after then to schedule its deletion.`;
}

/** What a teardown that kept the key says at its end, or a re-run that finds it still kept: when it may go, and how. */
export function keptKeyOutcome(kept: KeptKey, now: number, teardown: string, keyPendingDays?: number): string {
  const waiting = keyPendingDays === undefined ? '' : ` (a ${keyPendingDays}-day waiting period, --key-pending-days)`;
  const deletion = `\`${teardown}\` schedules its deletion${waiting} and deletes its alias`;
  if (!kept.hold) return `KMS key ${keyName(kept.outputs)} is kept${kept.byFlag ? ' (--keep-key)' : ''}; no record it encrypted can still be read. When you want it gone, ${deletion}.`;
  return `KMS key ${keyName(kept.outputs)} is kept for ${timeLeft(kept.hold.until - now)} more: ${keyHoldReason(kept.hold)}. After ${new Date(kept.hold.until).toISOString()}, ${deletion}.`;
}
