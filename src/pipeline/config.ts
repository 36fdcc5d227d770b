import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { defaultNames } from './names.js';
import {
  ensureValid,
  isRuntime,
  isStartingPosition,
  validateBatchSize,
  validateConsumerName,
  validateDeploymentName,
  validateFailureDestinationArn,
  validateFunctionName,
  validateKmsKeyRef,
  validateLogRetentionDays,
  validateMaximumRecordAgeInSeconds,
  validateMaximumRetryAttempts,
  validateRoleName,
  validateShardCount,
  validateStartingPositionTimestamp,
  validateStreamName,
  type Runtime,
  type StartingPosition,
} from './validate.js';

export type CapacityMode = 'on-demand' | 'provisioned';

/** Every answer setup needs, whether from flags, a --config file or the wizard. */
export interface SetupAnswers {
  producerProfile?: string;
  consumerProfile?: string;
  region?: string;
  name?: string;
  streamName?: string;
  useExistingStream?: boolean;
  capacityMode?: CapacityMode;
  shards?: number;
  kmsKey?: string;
  consumerName?: string;
  roleName?: string;
  functionName?: string;
  useExistingFunction?: boolean;
  runtime?: Runtime;
  logRetentionDays?: number;
  batchSize?: number;
  startingPosition?: StartingPosition;
  /** ISO 8601: where an AT_TIMESTAMP mapping starts reading (implies AT_TIMESTAMP when no position is given). */
  startingPositionTimestamp?: string;
  maxRetries?: number;
  maxRecordAge?: number;
  /** An existing SQS queue, SNS topic or S3 bucket ARN; false for none (--no-failure-destination); absent for a queue setup makes. */
  failureDestination?: string | false;
  adopt?: boolean;
}

/** A complete, validated setup configuration. */
export interface SetupConfig {
  name: string;
  streamName: string;
  useExistingStream: boolean;
  capacityMode: CapacityMode;
  shards: number;
  /** An existing customer managed key; undefined means create one with the deployment's alias. */
  kmsKey?: string;
  consumerName: string;
  roleName: string;
  functionName: string;
  useExistingFunction: boolean;
  runtime: Runtime;
  /** How long the log group setup creates keeps the function's logs; an adopted log group keeps its own. */
  logRetentionDays: number;
  esm: {
    batchSize: number;
    /**
     * Undefined: TRIM_HORIZON for a new stream; AT_TIMESTAMP for an adopted one, which may hold data that is
     * not ours to replay, and which LATEST would read only from wherever it is once the mapping starts polling.
     */
    startingPosition?: StartingPosition;
    /** Where AT_TIMESTAMP starts; undefined: when the deployment's first setup run started (its state file's `createdAt`). */
    startingPositionTimestamp?: string;
    maxRetries: number;
    maxRecordAgeSeconds: number;
  };
  /** Where the mapping sends the details of a batch it gives up on. */
  failureDestination: FailureDestination;
  /** Take over same-named resources that are not ours instead of refusing. */
  adopt: boolean;
}

/** A queue setup makes and deletes, the user's own destination (adopted, never deleted), or none at all. */
export type FailureDestination = { kind: 'queue' } | { kind: 'existing'; arn: string } | { kind: 'none' };

/** The stated defaults of everything but the profiles and the deployment name. */
export const DEFAULTS = {
  capacityMode: 'on-demand' as CapacityMode,
  shards: 1,
  runtime: 'nodejs22.x' as Runtime,
  // Lambda's own log groups never expire, and every day of logs is billed: a month covers most investigations.
  logRetentionDays: 30,
  batchSize: 100,
  // A poison record is retried a few times, bisected, then dropped instead of blocking its shard for a day.
  maxRetries: 3,
  maxRecordAgeSeconds: 3600,
};

/** Each answer's flag, and its JSON type in a --config file. */
const answerKeys: Record<keyof SetupAnswers, { flag: string; type: 'string' | 'number' | 'boolean' | 'string-or-false' }> = {
  producerProfile: { flag: '--producer-profile', type: 'string' },
  consumerProfile: { flag: '--consumer-profile', type: 'string' },
  region: { flag: '--region', type: 'string' },
  name: { flag: '--name', type: 'string' },
  streamName: { flag: '--stream-name', type: 'string' },
  useExistingStream: { flag: '--use-existing-stream', type: 'boolean' },
  capacityMode: { flag: '--capacity-mode', type: 'string' },
  shards: { flag: '--shards', type: 'number' },
  kmsKey: { flag: '--kms-key', type: 'string' },
  consumerName: { flag: '--consumer-name', type: 'string' },
  roleName: { flag: '--role-name', type: 'string' },
  functionName: { flag: '--function-name', type: 'string' },
  useExistingFunction: { flag: '--use-existing-function', type: 'boolean' },
  runtime: { flag: '--runtime', type: 'string' },
  logRetentionDays: { flag: '--log-retention-days', type: 'number' },
  batchSize: { flag: '--batch-size', type: 'number' },
  startingPosition: { flag: '--starting-position', type: 'string' },
  startingPositionTimestamp: { flag: '--starting-position-timestamp', type: 'string' },
  maxRetries: { flag: '--max-retries', type: 'number' },
  maxRecordAge: { flag: '--max-record-age', type: 'number' },
  failureDestination: { flag: '--failure-destination', type: 'string-or-false' },
  adopt: { flag: '--adopt', type: 'boolean' },
};

export function flagFor(key: keyof SetupAnswers): string {
  return answerKeys[key].flag;
}

/** Reads a `--config` JSON file: keys are the long flags in camelCase. Unknown keys and wrong types are usage errors. */
export async function loadAnswersFile(file: string): Promise<SetupAnswers> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `is not valid JSON (${(error as Error).message})`;
    throw new UserError(`--config: ${file} ${reason}.`, 'Pass a JSON object whose keys are the setup flags in camelCase, e.g. {"name": "orders", "streamName": "clicks"}.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UserError(`--config: ${file} must hold a JSON object.`);
  for (const [key, value] of Object.entries(parsed)) {
    const expected = answerKeys[key as keyof SetupAnswers]?.type;
    if (!expected) throw new UserError(`--config: unknown key "${key}" in ${file}.`, `Known keys: ${Object.keys(answerKeys).join(', ')}.`);
    if (expected === 'string-or-false') {
      if (typeof value !== 'string' && value !== false) throw new UserError(`--config: "${key}" in ${file} must be an ARN, or false for none.`);
    } else if (typeof value !== expected) throw new UserError(`--config: "${key}" in ${file} must be a ${expected}.`);
  }
  return parsed as SetupAnswers;
}

/**
 * Flags win over the config file; commander leaves absent flags undefined. A starting position given
 * without a timestamp replaces the earlier answers' timestamp along with their position.
 */
export function mergeAnswers(fromFile: SetupAnswers, fromFlags: SetupAnswers): SetupAnswers {
  const merged: SetupAnswers = { ...fromFile };
  if (fromFlags.startingPosition !== undefined) delete merged.startingPositionTimestamp;
  for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  return merged;
}

/**
 * The starting position the answers give, and its timestamp: a timestamp alone means AT_TIMESTAMP, and one
 * with another position is refused rather than ignored. `now`, when given, refuses a timestamp after it.
 */
function startingPositionOf(answers: SetupAnswers, now: number | undefined): Pick<SetupConfig['esm'], 'startingPosition' | 'startingPositionTimestamp'> {
  const { startingPosition, startingPositionTimestamp } = answers;
  if (startingPosition !== undefined && !isStartingPosition(startingPosition)) {
    throw new UserError(`--starting-position: "${startingPosition}" is not a starting position. Use TRIM_HORIZON, LATEST or AT_TIMESTAMP.`);
  }
  if (startingPositionTimestamp === undefined) return { startingPosition };
  ensureValid((value: string) => validateStartingPositionTimestamp(value, now), startingPositionTimestamp, flagFor('startingPositionTimestamp'));
  if (startingPosition !== undefined && startingPosition !== 'AT_TIMESTAMP') {
    throw new UserError(
      `--starting-position-timestamp applies to --starting-position AT_TIMESTAMP, not ${startingPosition}.`,
      'Pass --starting-position AT_TIMESTAMP with it (or leave --starting-position out), or drop --starting-position-timestamp.',
    );
  }
  return { startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp };
}

/**
 * Turns answers into a complete config, filling defaults from the deployment name.
 * Every value is checked with the same validators the wizard uses, and a bad one names its flag.
 * `now` is setup's clock: a starting position timestamp after it is refused.
 */
export function completeConfig(answers: SetupAnswers & { name: string }, defaults: { streamName: string; consumerName: string; roleName: string; functionName: string }, now?: number): SetupConfig {
  const check = <T>(validator: (v: T) => string | true, key: keyof SetupAnswers, value: T): T => ensureValid(validator, value, flagFor(key));
  if (answers.capacityMode !== undefined && answers.capacityMode !== 'on-demand' && answers.capacityMode !== 'provisioned') {
    throw new UserError(`--capacity-mode: "${answers.capacityMode}" is not a capacity mode. Use on-demand or provisioned.`);
  }
  if (answers.runtime !== undefined && !isRuntime(answers.runtime)) throw new UserError(`--runtime: "${answers.runtime}" is not supported. Use nodejs22.x or nodejs24.x.`);
  const start = startingPositionOf(answers, now);
  if (answers.useExistingStream && !answers.streamName) throw new UserError('--use-existing-stream needs --stream-name: which stream should be used?');
  if (answers.useExistingFunction && !answers.functionName) throw new UserError('--use-existing-function needs --function-name: which function should be used?');
  const capacityMode = answers.capacityMode ?? DEFAULTS.capacityMode;
  if (answers.shards !== undefined && capacityMode === 'on-demand') {
    throw new UserError('--shards applies to provisioned streams only.', 'Add --capacity-mode provisioned, or drop --shards for an on-demand stream.');
  }
  return {
    name: check(validateDeploymentName, 'name', answers.name),
    streamName: check(validateStreamName, 'streamName', answers.streamName ?? defaults.streamName),
    useExistingStream: answers.useExistingStream ?? false,
    capacityMode,
    shards: check(validateShardCount, 'shards', answers.shards ?? DEFAULTS.shards) as number,
    kmsKey: answers.kmsKey === undefined ? undefined : check(validateKmsKeyRef, 'kmsKey', answers.kmsKey),
    consumerName: check(validateConsumerName, 'consumerName', answers.consumerName ?? defaults.consumerName),
    roleName: check(validateRoleName, 'roleName', answers.roleName ?? defaults.roleName),
    functionName: check(validateFunctionName, 'functionName', answers.functionName ?? defaults.functionName),
    useExistingFunction: answers.useExistingFunction ?? false,
    runtime: answers.runtime ?? DEFAULTS.runtime,
    logRetentionDays: check(validateLogRetentionDays, 'logRetentionDays', answers.logRetentionDays ?? DEFAULTS.logRetentionDays) as number,
    esm: {
      batchSize: check(validateBatchSize, 'batchSize', answers.batchSize ?? DEFAULTS.batchSize) as number,
      ...start,
      maxRetries: check(validateMaximumRetryAttempts, 'maxRetries', answers.maxRetries ?? DEFAULTS.maxRetries) as number,
      maxRecordAgeSeconds: check(validateMaximumRecordAgeInSeconds, 'maxRecordAge', answers.maxRecordAge ?? DEFAULTS.maxRecordAgeSeconds) as number,
    },
    failureDestination: answers.failureDestination === false ? { kind: 'none' } : answers.failureDestination === undefined ? { kind: 'queue' } : { kind: 'existing', arn: check(validateFailureDestinationArn, 'failureDestination', answers.failureDestination) },
    adopt: answers.adopt ?? false,
  };
}

/**
 * What the state file records of a config: the answers as flags would give them, so that a re-run
 * (and teardown and status) read them back through `completeConfig`. Adoption is not recorded:
 * each run decides it again.
 */
export function recordedAnswers(config: SetupConfig): SetupAnswers {
  const { esm, adopt: _adopt, shards, failureDestination, ...rest } = config;
  return {
    ...rest,
    ...(config.capacityMode === 'provisioned' && { shards }),
    batchSize: esm.batchSize,
    startingPosition: esm.startingPosition,
    ...(esm.startingPositionTimestamp && { startingPositionTimestamp: esm.startingPositionTimestamp }),
    maxRetries: esm.maxRetries,
    maxRecordAge: esm.maxRecordAgeSeconds,
    ...(failureDestination.kind === 'none' && { failureDestination: false }),
    ...(failureDestination.kind === 'existing' && { failureDestination: failureDestination.arn }),
  };
}

/** The config a state file recorded, completed with the defaults of its deployment name. */
export function configFromState(deployment: { name: string; inputs: SetupAnswers }, consumerAccountId: string): SetupConfig {
  const { producerProfile: _p, consumerProfile: _c, region: _r, ...answers } = deployment.inputs;
  return completeConfig({ ...answers, name: deployment.name }, defaultNames(deployment.name, consumerAccountId));
}
