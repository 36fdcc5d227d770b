import { isPartitionRegion } from '../regions.js';
import { UserError } from '../errors.js';

/**
 * `true` when the value is acceptable, otherwise a message saying what is wrong and what
 * is allowed. The same shape @inquirer/prompts expects from a `validate` function.
 */
export type Validation = string | true;
export type Validator<T> = (value: T) => Validation;

/** What a numeric validator takes: a prompt's number, a flag's string, or nothing yet. */
export type NumericInput = number | string | undefined;

export const DEPLOYMENT_NAME_MAX = 32;
export const SHARD_COUNT_MAX = 10_000;
export const BATCH_SIZE_MAX = 10_000;
export const MAXIMUM_RETRY_ATTEMPTS_MAX = 10_000;
export const MAXIMUM_RECORD_AGE_MIN = 60;
export const MAXIMUM_RECORD_AGE_MAX = 604_800;
export const STARTING_POSITIONS = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const;
export type StartingPosition = (typeof STARTING_POSITIONS)[number];
export const RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;
/** The only retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
export type Runtime = (typeof RUNTIMES)[number];

// ---------------------------------------------------------------------------------------
// Names

export function validateDeploymentName(value: string): Validation {
  const allowed = `Use 1-${DEPLOYMENT_NAME_MAX} lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (for example "orders").`;
  if (value.length === 0) return `The deployment name is empty. ${allowed}`;
  if (value.length > DEPLOYMENT_NAME_MAX) {
    return `The deployment name "${value}" is ${value.length} characters long. ${allowed}`;
  }
  if (!/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(value)) {
    return `The deployment name "${value}" is not allowed. ${allowed}`;
  }
  return true;
}

function validateName(
  what: string,
  value: string,
  max: number,
  pattern: RegExp,
  allowedChars: string,
): Validation {
  const allowed = `Use 1-${max} characters: ${allowedChars}.`;
  if (value.length === 0) return `The ${what} is empty. ${allowed}`;
  if (value.length > max) return `The ${what} is ${value.length} characters long. ${allowed}`;
  const bad = [...new Set([...value].filter((c) => !pattern.test(c)))];
  if (bad.length > 0) {
    return `The ${what} "${value}" contains ${bad.map((c) => JSON.stringify(c)).join(', ')}, which is not allowed. ${allowed}`;
  }
  return true;
}

export function validateStreamName(value: string): Validation {
  return validateName('stream name', value, 128, /[a-zA-Z0-9_.-]/, 'letters, digits, "_", "." and "-"');
}

export function validateConsumerName(value: string): Validation {
  return validateName('consumer name', value, 128, /[a-zA-Z0-9_.-]/, 'letters, digits, "_", "." and "-"');
}

export function validateRoleName(value: string): Validation {
  return validateName('role name', value, 64, /[\w+=,.@-]/, 'letters, digits and "+=,.@_-"');
}

export function validateFunctionName(value: string): Validation {
  return validateName('function name', value, 64, /[a-zA-Z0-9_-]/, 'letters, digits, "_" and "-"');
}

// ---------------------------------------------------------------------------------------
// Accounts, regions, ARNs

export function validateAccountId(value: string): Validation {
  if (/^\d{12}$/.test(value)) return true;
  return `"${value}" is not an AWS account id. An account id is exactly 12 digits, for example 123456789012.`;
}

export function validateRegion(value: string): Validation {
  if (isPartitionRegion(value)) return true;
  return `"${value}" is not an AWS region name. Use a region code such as us-east-1, eu-central-2 or us-gov-west-1.`;
}

export interface Arn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  /** Everything after the fifth colon, e.g. `stream/orders` or `role/name`. */
  resource: string;
}

/** Splits an ARN into its parts, or undefined when it is not an ARN. */
export function parseArn(value: string): Arn | undefined {
  const match = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/.exec(value);
  if (!match) return undefined;
  const [, partition, service, region, accountId, resource] = match;
  if (!partition || !service || region === undefined || accountId === undefined || !resource) {
    return undefined;
  }
  return { partition, service, region, accountId, resource };
}

export interface StreamArn extends Arn {
  streamName: string;
}

export function parseStreamArn(value: string): StreamArn | undefined {
  const arn = parseArn(value);
  if (!arn || arn.service !== 'kinesis' || !arn.region) return undefined;
  const match = /^stream\/([a-zA-Z0-9_.-]{1,128})$/.exec(arn.resource);
  if (!match?.[1]) return undefined;
  return { ...arn, streamName: match[1] };
}

export interface ConsumerArn extends StreamArn {
  consumerName: string;
  /** Seconds since the epoch; a consumer registered again gets a new one, and a new ARN. */
  creationTimestamp: number;
}

export function parseConsumerArn(value: string): ConsumerArn | undefined {
  const arn = parseArn(value);
  if (!arn || arn.service !== 'kinesis' || !arn.region) return undefined;
  const match = /^stream\/([a-zA-Z0-9_.-]{1,128})\/consumer\/([a-zA-Z0-9_.-]{1,128}):(\d+)$/.exec(
    arn.resource,
  );
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return {
    ...arn,
    streamName: match[1],
    consumerName: match[2],
    creationTimestamp: Number(match[3]),
  };
}

export function validateStreamArn(value: string): Validation {
  if (parseStreamArn(value)) return true;
  return `"${value}" is not a Kinesis stream ARN. Expected arn:aws:kinesis:<region>:<account id>:stream/<name>.`;
}

// ---------------------------------------------------------------------------------------
// KMS

export type KmsKeyRef =
  | { kind: 'key-id'; keyId: string }
  | { kind: 'key-arn'; keyId: string; arn: Arn }
  | { kind: 'alias-name'; alias: string; awsManaged: boolean }
  | { kind: 'alias-arn'; alias: string; awsManaged: boolean; arn: Arn };

const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

/** Recognises the four ways to name a KMS key: key id, key ARN, alias name, alias ARN. */
export function parseKmsKeyRef(value: string): KmsKeyRef | undefined {
  if (KEY_ID.test(value)) return { kind: 'key-id', keyId: value };
  if (ALIAS.test(value)) return { kind: 'alias-name', alias: value, awsManaged: isAwsManagedAlias(value) };
  const arn = parseArn(value);
  if (!arn || arn.service !== 'kms' || !arn.region || !/^\d{12}$/.test(arn.accountId)) return undefined;
  if (arn.resource.startsWith('key/')) {
    const keyId = arn.resource.slice('key/'.length);
    return KEY_ID.test(keyId) ? { kind: 'key-arn', keyId, arn } : undefined;
  }
  if (ALIAS.test(arn.resource)) {
    return { kind: 'alias-arn', alias: arn.resource, awsManaged: isAwsManagedAlias(arn.resource), arn };
  }
  return undefined;
}

function isAwsManagedAlias(alias: string): boolean {
  return alias.startsWith('alias/aws/');
}

export function validateKmsKeyRef(value: string): Validation {
  const ref = parseKmsKeyRef(value);
  if (!ref) {
    return `"${value}" is not a KMS key reference. Use a key id (1234abcd-12ab-34cd-56ef-1234567890ab), a key ARN, an alias name (alias/my-key) or an alias ARN.`;
  }
  if ((ref.kind === 'alias-name' || ref.kind === 'alias-arn') && ref.awsManaged) {
    return `${ref.alias} is an AWS managed key. Sharing an encrypted stream with another account needs a customer managed key (Kinesis Developer Guide, "Controlling access"). Use a customer managed key, or let kds-xacct create one.`;
  }
  return true;
}

/** The services Lambda accepts as a stream mapping's on-failure destination (the Lambda developer guide, Kinesis on-failure destinations). */
export type FailureDestinationService = 'sqs' | 'sns' | 's3';

/** The service of an SQS queue, SNS topic or S3 bucket ARN, or undefined for anything else. */
export function failureDestinationService(arn: string): FailureDestinationService | undefined {
  if (/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/.test(arn)) return 'sqs';
  if (/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(arn)) return 'sns';
  // A bucket ARN names no region or account: arn:aws:s3:::bucket.
  if (/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(arn)) return 's3';
  return undefined;
}

export function validateFailureDestinationArn(value: string): Validation {
  if (failureDestinationService(value)) return true;
  return `"${value}" is not an SQS queue, SNS topic or S3 bucket ARN. Use e.g. arn:aws:sqs:eu-west-1:123456789012:orders-failed, arn:aws:sns:eu-west-1:123456789012:alerts or arn:aws:s3:::my-bucket.`;
}

/** An SNS topic ARN for --alarm-topic: the topic's name is up to 256 letters, digits, hyphens and underscores (CreateTopic API reference). */
export function validateAlarmTopicArn(value: string): Validation {
  if (/^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(value)) return true;
  return `"${value}" is not an SNS topic ARN. Use e.g. arn:aws:sns:eu-west-1:123456789012:alerts.`;
}

/** An address for --alarm-email: SNS sends it a confirmation message, so it must at least look like one. */
export function validateAlarmEmail(value: string): Validation {
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) return true;
  return `"${value}" is not an email address. Use e.g. oncall@example.com.`;
}

// ---------------------------------------------------------------------------------------
// Numbers and choices

function toInteger(value: NumericInput): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function validateIntegerRange(what: string, value: NumericInput, min: number, max: number, note = ''): Validation {
  const allowed = `Use a whole number from ${min} to ${max}${note}.`;
  const n = toInteger(value);
  if (n === undefined) {
    return value === undefined || value === '' ? `The ${what} is missing. ${allowed}` : `The ${what} "${value}" is not a whole number. ${allowed}`;
  }
  if (n < min || n > max) return `The ${what} ${n} is out of range. ${allowed}`;
  return true;
}

export function validateShardCount(value: NumericInput): Validation {
  return validateIntegerRange('shard count', value, 1, SHARD_COUNT_MAX, ' (the default per-stream quota)');
}

export function validateBatchSize(value: NumericInput): Validation {
  return validateIntegerRange('batch size', value, 1, BATCH_SIZE_MAX, ' (the Kinesis event source limit)');
}

export function validateMaximumRetryAttempts(value: NumericInput): Validation {
  return validateIntegerRange('maximum retry attempts', value, -1, MAXIMUM_RETRY_ATTEMPTS_MAX, '; -1 retries until the record expires');
}

export function validateMaximumRecordAgeInSeconds(value: NumericInput): Validation {
  const allowed = `Use -1 (no limit) or a whole number of seconds from ${MAXIMUM_RECORD_AGE_MIN} to ${MAXIMUM_RECORD_AGE_MAX} (7 days).`;
  const n = toInteger(value);
  if (n === undefined) {
    return value === undefined || value === '' ? `The maximum record age is missing. ${allowed}` : `The maximum record age "${value}" is not a whole number. ${allowed}`;
  }
  if (n === -1 || (n >= MAXIMUM_RECORD_AGE_MIN && n <= MAXIMUM_RECORD_AGE_MAX)) return true;
  return `The maximum record age ${n} is out of range. ${allowed}`;
}

export function validateLogRetentionDays(value: NumericInput): Validation {
  const allowed = `Use one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')} days.`;
  const n = toInteger(value);
  if (n === undefined) {
    return value === undefined || value === '' ? `The log retention is missing. ${allowed}` : `The log retention "${value}" is not a whole number of days. ${allowed}`;
  }
  if (!LOG_RETENTION_DAYS.includes(n)) return `CloudWatch Logs cannot keep logs for ${n} days. ${allowed}`;
  return true;
}

export function validateStartingPosition(value: string): Validation {
  if ((STARTING_POSITIONS as readonly string[]).includes(value)) return true;
  return `"${value}" is not a starting position. Use TRIM_HORIZON (oldest record kept), LATEST (only records put once the mapping polls) or AT_TIMESTAMP (records put from a given time).`;
}

/**
 * An ISO 8601 date and time with its time zone, e.g. 2025-06-01T09:30:00Z, not after `now` when given:
 * Lambda refuses a StartingPositionTimestamp in the future (CreateEventSourceMapping API reference).
 */
export function validateStartingPositionTimestamp(value: string, now?: number): Validation {
  const example = 'Use an ISO 8601 date and time with its time zone, e.g. 2025-06-01T09:30:00Z or 2025-06-01T11:30:00+02:00.';
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
  if (!iso.test(value) || Number.isNaN(Date.parse(value))) return `"${value}" is not a date and time. ${example}`;
  if (now !== undefined && Date.parse(value) > now) return `${value} is in the future; a mapping can only start at a time that has passed. ${example}`;
  return true;
}

export function isStartingPosition(value: string): value is StartingPosition {
  return validateStartingPosition(value) === true;
}

export function validateRuntime(value: string): Validation {
  if ((RUNTIMES as readonly string[]).includes(value)) return true;
  return `"${value}" is not a supported runtime. Use ${RUNTIMES.join(' or ')}.`;
}

export function isRuntime(value: string): value is Runtime {
  return validateRuntime(value) === true;
}

// ---------------------------------------------------------------------------------------
// Flags

/**
 * For flags and config values: returns `value` when valid, or throws a UserError naming
 * the flag, e.g. `--name: The deployment name "Orders" is not allowed. Use …`.
 */
export function ensureValid<T>(validator: Validator<T>, value: T, flag: string): T {
  const result = validator(value);
  if (result !== true) throw new UserError(`${flag}: ${result}`);
  return value;
}

/** Parses an integer flag and checks it, throwing a UserError that names the flag. */
export function parseIntegerFlag(value: string, flag: string, validator: Validator<NumericInput>): number {
  ensureValid(validator, value, flag);
  const n = toInteger(value);
  // Every numeric validator above rejects what toInteger cannot read; this guards a new one that does not.
  if (n === undefined) throw new UserError(`${flag}: "${value}" is not a whole number.`);
  return n;
}
