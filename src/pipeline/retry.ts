import type { Clock } from '../engine/clock.js';
import { withRetry, type BackoffOptions } from '../engine/wait.js';
import { awsErrorCode, errorMessage } from '../errors.js';

/** Throttling as each service spells it. Always worth a retry with backoff. */
const THROTTLING = new Set([
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

/**
 * Throttling is worth a retry; a quota (Kinesis and KMS use LimitExceededException for both, e.g.
 * 20 consumers per stream, the account's shard limit) is not, and says so in its message.
 */
export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(awsErrorCode(error) ?? '') && !/limit of \d+|would exceed|quota/i.test(errorMessage(error));
}

export function hasCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes(awsErrorCode(error) ?? '');
}

/** How long a call keeps retrying throttling and propagation before the step fails. */
export const RETRY_BUDGET_MS = 3 * 60_000;

/**
 * Runs one AWS call, retrying throttling and, when `propagating` recognises it, the errors IAM
 * and KMS give while a new role, policy or grant has not reached every endpoint yet.
 */
export function callAws<T>(
  clock: Clock,
  call: () => Promise<T>,
  options: { propagating?: (error: unknown) => boolean; onRetry?: (reason: string) => void; backoff?: BackoffOptions } = {},
): Promise<T> {
  return withRetry(call, {
    ...options.backoff,
    clock,
    timeoutMs: RETRY_BUDGET_MS,
    retryable: (error) => {
      if (isThrottling(error)) return `throttled (${awsErrorCode(error)}), retrying`;
      if (options.propagating?.(error)) return `waiting for IAM to propagate: ${errorMessage(error)}`;
      return undefined;
    },
    onRetry: options.onRetry,
  });
}

/** "It does not exist", as each service spells it. */
export function isNotFound(error: unknown): boolean {
  return hasCode(error, 'ResourceNotFoundException', 'NotFoundException', 'NoSuchEntityException', 'NoSuchEntity');
}

/** A read through `callAws`, or undefined when the resource does not exist. */
export async function ifExists<T>(clock: Clock, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await callAws(clock, call);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
