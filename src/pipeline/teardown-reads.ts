import type { AccountRole, AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { DeploymentState } from '../deployment/store.js';
import type { SetupConfig } from './config.js';
import { readFailedBatches } from './failure-destination.js';
import { STEP } from './steps/context.js';
import { encryptedStreamOf, keyHold, type KeyHold } from './steps/kms-key.js';
import { otherConsumers, streamGone, type Removable } from './teardown.js';
import { goneWithStream, withoutRecords, type TeardownOptions, type TeardownReads } from './teardown-plan.js';

/**
 * How long our key must stay Enabled for the records it encrypted in an adopted stream. The plan's own
 * encryption removal of an adopted stream stops the encryption in this run, so the key is held from now.
 */
async function readKeyHold(clock: Clock, producer: AccountSession, state: DeploymentState, config: SetupConfig): Promise<KeyHold | undefined> {
  const key = state.steps[STEP.kmsKey];
  if (key?.origin !== 'created') return undefined;
  const encryption = state.steps[STEP.encryption];
  const stopsNow = encryption?.origin === 'created' && encryption.outputs.streamOrigin === 'adopted' ? clock.now() : undefined;
  return keyHold(clock, producer, encryptedStreamOf(key.outputs, config), key.outputs, stopsNow);
}

/** A failure queue setup made is read for reports, unless the user asked for it to go regardless. */
async function readFailureReports(clock: Clock, consumer: AccountSession, state: DeploymentState, options: TeardownOptions): Promise<number | undefined> {
  const queue = state.steps[STEP.failureQueue];
  if (queue?.origin !== 'created' || options.deleteFailureQueue) return undefined;
  return (await readFailedBatches(clock, consumer.clients.sqs, queue.outputs.queueUrl!)).count;
}

/**
 * What teardown reads from AWS before it plans. A deployment found by tags and names has no state file to say
 * which stream was there, so its stream is not looked for; what went with a stream that is gone is not read.
 */
export async function readForTeardown(
  clock: Clock,
  { producer, consumer }: Record<AccountRole, AccountSession>,
  deployment: { state: DeploymentState; discovered: boolean; config: SetupConfig; removables: Removable[] },
  options: TeardownOptions,
): Promise<TeardownReads> {
  const { state, discovered, config, removables } = deployment;
  const gone = !discovered && (await streamGone(clock, producer, state));
  const left = gone ? withoutRecords(state, goneWithStream(state, removables)?.stepIds ?? []) : state;
  const hold = await readKeyHold(clock, producer, left, config);
  const failureReports = await readFailureReports(clock, consumer, left, options);
  const stream = left.steps[STEP.stream];
  const others = stream?.origin === 'created' && stream.outputs.streamArn ? await otherConsumers(clock, producer, stream.outputs.streamArn, ourConsumerArn(left)) : [];
  return { streamGone: gone, ...(hold && { keyHold: hold }), ...(failureReports !== undefined && { failureReports }), otherConsumers: others };
}

function ourConsumerArn(state: DeploymentState): string | undefined {
  const consumer = state.steps[STEP.consumer];
  return consumer?.origin === 'created' ? consumer.outputs.consumerArn : undefined;
}
