import { type Clock, formatDuration } from '../engine/clock.js';
import { withRetry, type BackoffOptions } from '../engine/wait.js';
import { ExitCode, UserError, awsErrorCode, errorMessage } from '../errors.js';

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

/** Server faults as each service spells them, for an error that carries no $fault or status. */
const SERVER_FAULTS = ['ServiceException', 'InternalFailure', 'InternalFailureException', 'InternalError', 'InternalServerError', 'InternalServerException', 'ServiceUnavailable', 'ServiceUnavailableException', 'ServiceFailure', 'ServiceFailureException', 'KMSInternalException'];

/**
 * A 5xx: AWS failed, not the request, and the same call may well succeed. The SDK's standard retry repeats
 * these for the clients it builds, but only three times, and the sandbox bypasses it (src/sandbox/README.md).
 */
export function isServerError(error: unknown): boolean {
  if (!awsErrorCode(error)) return false;
  const { $fault, $metadata } = error as { $fault?: string; $metadata?: { httpStatusCode?: number } };
  return $fault === 'server' || ($metadata?.httpStatusCode ?? 0) >= 500 || hasCode(error, ...SERVER_FAULTS);
}

export function hasCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes(awsErrorCode(error) ?? '');
}

/** How long a call keeps retrying throttling before the step fails. */
export const RETRY_BUDGET_MS = 3 * 60_000;

/**
 * How long a call keeps retrying while a new role, policy or grant propagates. terraform-provider-aws#44517
 * reports Lambda still refusing a new role ("cannot be assumed by Lambda") after 5 minutes 30 seconds, and an
 * AWS Support answer of up to 15 minutes; the CreateGrant API reference gives grants "usually less than five
 * minutes". 15 minutes covers all of these.
 */
export const PROPAGATION_BUDGET_MS = 15 * 60_000;

/**
 * Propagation usually takes seconds, so retries start quickly; a slow one can take many minutes, so they
 * back off to one call every 10 s: about a hundred calls in the whole budget instead of one a second.
 */
const PROPAGATION_BACKOFF: BackoffOptions = { maxDelayMs: 10_000 };

/**
 * How long a propagation wait shows only what it waits for. After that it also shows AWS's answer, on the
 * step's line: a real denial (an SCP, a permissions boundary, a policy missing on an adopted resource) gets
 * the same answer as slow propagation, and would otherwise look like a hang for the rest of the budget.
 */
const SHOW_ANSWER_AFTER_MS = 2 * 60_000;

/** What a propagation retry says: what it waits for, how long so far, and past two minutes AWS's answer. */
function propagationProgress(waitingFor: string, attempts: number, elapsedMs: number, error: unknown): string {
  const progress = `waiting for ${waitingFor} (can take minutes): attempt ${attempts}, ${formatDuration(elapsedMs)} so far`;
  if (elapsedMs < SHOW_ANSWER_AFTER_MS) return progress;
  return `${progress}; AWS still answers ${awsErrorCode(error)}: ${errorMessage(error)} (if that is a real denial, such as an SCP or a permissions boundary, waiting will not fix it)`;
}

/** Every propagation retry has run out of budget: says what was awaited for how long, and the last AWS error. */
export class PropagationTimeoutError extends UserError {
  override name = 'PropagationTimeoutError';
  constructor(what: string, elapsedMs: number, cause: unknown) {
    super(
      `Gave up after ${formatDuration(elapsedMs)} waiting for ${what}; the last answer was ${awsErrorCode(cause) ?? 'an error'}: ${errorMessage(cause)}`,
      'AWS propagates new roles, policies and grants within seconds on most days, but it can take up to 15 minutes. If the role still exists and is unchanged, wait a few minutes. If the answer is a denial that waiting cannot fix (an SCP, a permissions boundary, a policy on a resource you chose to use), fix that first.',
      ExitCode.Failed,
    );
    this.cause = cause;
  }
}

/**
 * Runs one AWS call, retrying throttling, server errors and, when `propagating` recognises it, the errors IAM and KMS
 * give while a new role, policy or grant has not reached every endpoint yet. Progress names what is
 * awaited (`waitingFor`), the attempt and the time spent, since such a wait can take minutes, and after
 * SHOW_ANSWER_AFTER_MS what AWS answers. Every propagation wait of the steps goes through here.
 */
export async function callAws<T>(
  clock: Clock,
  call: () => Promise<T>,
  options: { propagating?: (error: unknown) => boolean; waitingFor?: string; onRetry?: (reason: string) => void; backoff?: BackoffOptions } = {},
): Promise<T> {
  const { propagating } = options;
  const waitingFor = options.waitingFor ?? 'IAM to propagate a new role or policy';
  const started = clock.now();
  let attempts = 1;
  try {
    return await withRetry(call, {
      ...(propagating && PROPAGATION_BACKOFF),
      ...options.backoff,
      clock,
      timeoutMs: propagating ? PROPAGATION_BUDGET_MS : RETRY_BUDGET_MS,
      retryable: (error) => {
        attempts++;
        if (isThrottling(error)) return `throttled (${awsErrorCode(error)}), retrying`;
        if (isServerError(error)) return `AWS had an internal error (${awsErrorCode(error)}), retrying`;
        if (propagating?.(error)) return propagationProgress(waitingFor, attempts, clock.now() - started, error);
        return undefined;
      },
      onRetry: options.onRetry,
    });
  } catch (error) {
    if (propagating?.(error)) throw new PropagationTimeoutError(waitingFor, clock.now() - started, error);
    throw error;
  }
}

/** "It does not exist", as each service spells it. */
export function isNotFound(error: unknown): boolean {
  return hasCode(error, 'ResourceNotFoundException', 'NotFoundException', 'NoSuchEntityException', 'NoSuchEntity', 'QueueDoesNotExist');
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
