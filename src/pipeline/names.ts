import { createHash } from 'node:crypto';

/** Tag key carrying the deployment name on every resource kds-xacct creates. */
export const TAG_DEPLOYMENT = 'kds-xacct:deployment';
/** Tag key saying which tool manages the resource. */
export const TAG_MANAGED_BY = 'managed-by';
/** Value of {@link TAG_MANAGED_BY}. */
export const MANAGED_BY = 'kds-xacct';

/**
 * The kinds of statement kds-xacct writes into shared resource policies. A Sid is
 * `<sidPrefix><kind>`. A future version that renames or drops a kind keeps the old one
 * listed here, so that re-running setup or teardown still recognises and removes it.
 * No kind is a suffix of another, which keeps `<prefix><kind>` unambiguous.
 */
export const SID_KINDS = ['StreamRead', 'EfoConsume'] as const;
export type SidKind = (typeof SID_KINDS)[number];

/** AWS name length limits that the defaults must respect. */
export const NAME_LIMITS = {
  stream: 128,
  consumer: 128,
  role: 64,
  function: 64,
  /** The whole alias, `alias/` included. */
  kmsAlias: 256,
  grant: 256,
  logGroup: 512,
} as const;

export interface DeploymentNames {
  deployment: string;
  streamName: string;
  /** Unique per consumer account, because one stream can serve several deployments. */
  consumerName: string;
  kmsAlias: string;
  roleName: string;
  functionName: string;
  logGroupName: string;
  grantName: string;
  /** The consumer role's inline policy: ours by this name alone, so setup, discovery and teardown must agree on it. */
  rolePolicyName: string;
  /** The queue setup makes in the consumer account for reports of failed batches. */
  failureQueueName: string;
  /** Prefix of every Sid this deployment owns in a shared resource policy. */
  sidPrefix: string;
  sids: { streamRead: string; efoConsume: string };
  tags: Record<string, string>;
}

/** Every deployment's key alias starts with it: those keys are each deployment's own, deleted by its teardown. */
export const KMS_ALIAS_PREFIX = 'alias/kds-xacct/';

/**
 * Default names of every resource of a deployment. `deployment` is assumed valid
 * (see `validateDeploymentName`); names are still kept within AWS limits for any input.
 */
export function defaultNames(deployment: string, consumerAccountId: string): DeploymentNames {
  const functionName = fitName(`${deployment}-consumer`, NAME_LIMITS.function);
  const sidPrefix = sidPrefixFor(deployment, consumerAccountId);
  return {
    deployment,
    streamName: fitName(`${deployment}-stream`, NAME_LIMITS.stream),
    consumerName: fitName(`${deployment}-${consumerAccountId}-efo`, NAME_LIMITS.consumer),
    kmsAlias: fitName(`${KMS_ALIAS_PREFIX}${deployment}`, NAME_LIMITS.kmsAlias),
    roleName: fitName(`kds-xacct-${deployment}-consumer`, NAME_LIMITS.role),
    functionName,
    logGroupName: lambdaLogGroupName(functionName),
    grantName: fitName(`kds-xacct-${deployment}-${consumerAccountId}`, NAME_LIMITS.grant),
    rolePolicyName: `kds-xacct-${deployment}`,
    failureQueueName: `${deployment}-failed-batches`,
    sidPrefix,
    sids: { streamRead: `${sidPrefix}StreamRead`, efoConsume: `${sidPrefix}EfoConsume` },
    tags: deploymentTags(deployment),
  };
}

export function deploymentTags(deployment: string): Record<string, string> {
  return { [TAG_DEPLOYMENT]: deployment, [TAG_MANAGED_BY]: MANAGED_BY };
}

/** The log group Lambda writes to for a function. */
export function lambdaLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/**
 * `KdsXacct` + the deployment name in PascalCase + 8 hex digits (upper case) of a hash
 * of the deployment name and the consumer account, e.g. `KdsXacctOrders1F0C9A3B`.
 *
 * IAM Sids must be alphanumeric, which loses the hyphens: `orders-2` and `orders2` would
 * both read `Orders2`. The hash keeps them apart, and keeps apart two consumer accounts
 * that picked the same deployment name on one shared stream. Ownership is prefix plus a
 * known kind (see `isOwnSid`), never a bare prefix, so `orders` cannot claim `orders-eu`.
 */
export function sidPrefixFor(deployment: string, consumerAccountId: string): string {
  const pascal = deployment
    .split(/[^a-zA-Z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `KdsXacct${pascal}${shortHash(`${deployment}\n${consumerAccountId}`, 8).toUpperCase()}`;
}

/** Whether `sid` is one of the statements owned by the deployment with this prefix. */
export function isOwnSid(sid: unknown, sidPrefix: string): boolean {
  if (typeof sid !== 'string' || !sid.startsWith(sidPrefix)) return false;
  return (SID_KINDS as readonly string[]).includes(sid.slice(sidPrefix.length));
}

/**
 * `name` unchanged when it fits in `max` characters; otherwise cut, with `-` and 8 hex
 * digits of its hash appended so that two long names sharing a prefix stay distinct.
 * Deterministic, so a re-run finds the same resource.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = shortHash(name, 8);
  const keep = max - hash.length - 1;
  if (keep < 1) throw new RangeError(`fitName: a limit of ${max} leaves no room for a name`);
  return `${name.slice(0, keep).replace(/[-_.]+$/, '')}-${hash}`;
}

/** The first `length` hex digits of the SHA-256 of `value`. */
export function shortHash(value: string, length: number): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/** The ARN partition of a region: `aws`, `aws-cn`, `aws-us-gov`, the ISO partitions, `aws-eusc`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  const iso = /^[a-z]{2}-iso([a-z]?)-/.exec(region);
  if (iso) return iso[1] ? `aws-iso-${iso[1]}` : 'aws-iso';
  return 'aws';
}

/** ARNs built from names, for resources whose ARN AWS does not return before we need it. */
export const arns = {
  stream: (region: string, accountId: string, streamName: string): string =>
    `arn:${partitionOf(region)}:kinesis:${region}:${accountId}:stream/${streamName}`,
  role: (region: string, accountId: string, roleName: string): string =>
    `arn:${partitionOf(region)}:iam::${accountId}:role/${roleName}`,
  function: (region: string, accountId: string, functionName: string): string =>
    `arn:${partitionOf(region)}:lambda:${region}:${accountId}:function:${functionName}`,
  /** Without the trailing `:*` that log stream permissions need. */
  logGroup: (region: string, accountId: string, logGroupName: string): string =>
    `arn:${partitionOf(region)}:logs:${region}:${accountId}:log-group:${logGroupName}`,
  kmsAlias: (region: string, accountId: string, alias: string): string =>
    `arn:${partitionOf(region)}:kms:${region}:${accountId}:${alias}`,
  kmsKey: (region: string, accountId: string, keyId: string): string =>
    `arn:${partitionOf(region)}:kms:${region}:${accountId}:key/${keyId}`,
  eventSourceMapping: (region: string, accountId: string, uuid: string): string =>
    `arn:${partitionOf(region)}:lambda:${region}:${accountId}:event-source-mapping:${uuid}`,
  accountRoot: (region: string, accountId: string): string =>
    `arn:${partitionOf(region)}:iam::${accountId}:root`,
} as const;
