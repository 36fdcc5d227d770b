import type { AccountSession } from '../../aws/session.js';
import type { DeploymentState } from '../../deployment/store.js';
import type { StepContext } from '../../engine/types.js';
import type { SetupConfig } from '../config.js';
import { defaultNames, lambdaLogGroupName, type DeploymentNames } from '../names.js';

/** How long each asynchronous AWS state change may take before the step fails. */
const WAIT_TIMEOUT_MS = 10 * 60_000;

/** Step ids, which are also the keys of the state file's `steps`. */
export const STEP = {
  kmsKey: 'kms-key',
  stream: 'stream',
  encryption: 'stream-encryption',
  consumer: 'efo-consumer',
  role: 'role',
  rolePolicy: 'role-policy',
  logGroup: 'log-group',
  failureQueue: 'failure-queue',
  function: 'function',
  streamPolicy: 'stream-policy',
  consumerPolicy: 'consumer-policy',
  grant: 'kms-grant',
  esm: 'event-source-mapping',
} as const;

/** What the setup steps share. Each step closes over only what it uses. */
export interface PipelineContext {
  config: SetupConfig;
  names: DeploymentNames;
  producer: AccountSession;
  consumer: AccountSession;
  /** The state file as it was before this run: what is ours even without tags. */
  previous: DeploymentState;
  /** Waiting period for a KMS key this run deletes: 7 (the minimum) for a rollback, teardown's choice otherwise. */
  keyPendingDays: number;
  /** Steps whose same-named, not-ours resource the user chose to adopt in this run (all of them under --adopt). */
  adopted: Set<string>;
  /** When this run turned off our encryption of an adopted stream (epoch ms): from then on our key encrypts nothing new there. */
  encryptionStoppedAt?: number;
}

/** A deployment's step context: names default from the deployment name and are overridden by the config. */
export function pipelineContext(options: Omit<PipelineContext, 'names' | 'keyPendingDays' | 'adopted'> & { keyPendingDays?: number }): PipelineContext {
  const { config } = options;
  return {
    ...options,
    keyPendingDays: options.keyPendingDays ?? MIN_KEY_PENDING_DAYS,
    adopted: new Set(),
    // The steps judge ownership by the state as it was before this run, not as the run changes it.
    previous: structuredClone(options.previous),
    names: {
      ...defaultNames(config.name, options.consumer.accountId),
      streamName: config.streamName,
      consumerName: config.consumerName,
      roleName: config.roleName,
      functionName: config.functionName,
      logGroupName: lambdaLogGroupName(config.functionName),
    },
  };
}

/** The shortest waiting period KMS allows: used when a rollback deletes a key made moments ago. */
export const MIN_KEY_PENDING_DAYS = 7;

/** Wait options for a step: its clock, the step timeout, and poll details shown as progress. */
export function waitOptions(ctx: StepContext, what: string) {
  return { clock: ctx.clock, what, timeoutMs: WAIT_TIMEOUT_MS, onPoll: (detail: string) => ctx.progress(detail) };
}
