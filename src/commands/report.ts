import type { AccountSession } from '../aws/session.js';
import type { Leftover, RunResult, StepError } from '../engine/engine.js';
import { WaitTimeoutError } from '../engine/wait.js';
import { UserError, awsErrorCode, errorMessage } from '../errors.js';
import { primaryId, type PipelineStep } from '../pipeline/steps/pipeline-step.js';

/** What to do about an AWS error code, when there is something specific to say. */
function hintFor(code: string | undefined, session: AccountSession | undefined): string | undefined {
  const profile = session ? ` (profile ${session.profile})` : '';
  switch (code) {
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnauthorizedOperation':
      return `The credentials${profile} are not allowed to make this call. Grant the permission named above, or use a profile that has it.`;
    case 'LimitExceededException':
    case 'ThrottlingException':
    case 'Throttling':
    case 'TooManyRequestsException':
      return 'AWS kept throttling or a service quota was reached. Wait a little and run the same command again; completed steps are not repeated.';
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return `The session of${profile || ' the profile'} expired. Refresh it (for SSO: \`aws sso login${session ? ` --profile ${session.profile}` : ''}\`) and run again.`;
    default:
      return undefined;
  }
}

/**
 * One message for a failed or interrupted run: which step, in which account, the AWS error code,
 * what happened to what this run created, and what to do next.
 */
export function describeRunFailure(
  result: RunResult,
  accounts: Partial<Record<'producer' | 'consumer', AccountSession>>,
  rollback: boolean,
  /** The command to run again, as `commandLine` builds it. */
  rerunCommand: string,
): { message: string; hint: string } {
  const undoFailed = result.leftovers.some((l) => l.error !== undefined);
  const keptOnPurpose = result.leftovers.some((l) => l.kept !== undefined);
  const aftermath =
    result.rolledBack.length === 0 && result.leftovers.length === 0
      ? 'Nothing had been created by this run.'
      : !rollback
        ? 'What this run created was kept (--no-rollback).'
        : undoFailed
          ? 'The rollback could not remove everything; what is left is listed below.'
          : keptOnPurpose
            ? 'What this run created was rolled back, except what is listed below as kept, and why.'
            : 'What this run created was rolled back.';
  const rerun = `Run \`${rerunCommand}\` again to ${rollback && !undoFailed ? 'retry' : 'resume'}.`;
  if (!result.failure) return { message: `Interrupted. ${aftermath}`, hint: rerun };
  const failure = describeStepError(result.failure, accounts);
  return { message: `${failure.message} ${aftermath}`, hint: [failure.hint, rerun].filter(Boolean).join(' ') };
}

/** Which step failed, in which account and phase, with the AWS error code, request id and what to do about it. */
export function describeStepError(error: StepError, accounts: Partial<Record<'producer' | 'consumer', AccountSession>> = {}): { message: string; hint?: string } {
  const { step, phase, cause } = error;
  const session = accounts[step.account as 'producer' | 'consumer'];
  const code = awsErrorCode(cause);
  const where = `${step.account} account${session ? ` ${session.accountId}` : ''}`;
  const requestId = (cause as { $metadata?: { requestId?: string } } | undefined)?.$metadata?.requestId;
  const message = `${step.title} failed in the ${where} during ${phase}: ${code ? `${code}: ` : ''}${errorMessage(cause)}${requestId ? ` (request id ${requestId})` : ''}`;
  const hint = cause instanceof UserError ? cause.hint : cause instanceof WaitTimeoutError ? 'AWS may still finish this in the background.' : hintFor(code, session);
  return { message, hint };
}

/** A line per resource still there after a failure, so nothing is orphaned silently. */
export function leftoverLines(leftovers: Leftover[], steps: PipelineStep[]): string[] {
  if (leftovers.length === 0) return [];
  return [
    'Still there:',
    ...leftovers.map(
      (l) => `  [${l.account}] ${l.title}: ${primaryId(steps.find((s) => s.id === l.stepId), l.outputs) ?? JSON.stringify(l.outputs)}${l.error ? ` (could not remove: ${errorMessage(l.error)})` : ''}${l.kept ? ` (kept: ${l.kept})` : ''}`,
    ),
  ];
}
