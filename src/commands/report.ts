import type { AccountSession } from '../aws/session.js';
import type { Leftover, RunResult, StepError } from '../engine/engine.js';
import { WaitTimeoutError } from '../engine/wait.js';
import { UserError, awsErrorCode, errorMessage } from '../errors.js';
import { primaryId } from '../pipeline/steps/context.js';
import { shortenMiddle } from '../render/types.js';

/**
 * Left-aligned columns, for summaries that must read well in a terminal and in a log. The last column
 * holds the long values (ARNs, details). Given a terminal's width, it is shortened in the middle to fit,
 * or, when the other columns leave it too little room, put on its own line under its row.
 * Without a width (pipes, CI, logs) values stay whole.
 */
export function formatTable(header: string[], rows: string[][], width?: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const last = widths.length - 1;
  const lead = widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0);
  // One column short of the width: a line that fills the last column leaves some terminals' cursor wrapped.
  const room = width === undefined ? Infinity : width - 1 - lead;
  const line = (cells: string[]) => cells.map((c, i) => (i === last ? c : c.padEnd(widths[i]!))).join('  ');
  if (widths[last]! <= room) return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
  if (room >= minimumFittedColumn) {
    const fitted = rows.map((r) => r.map((c, i) => (i === last ? shortenMiddle(c, room) : c)));
    return [line(header), line(widths.map((w, i) => '-'.repeat(i === last ? Math.min(w, room) : w))), ...fitted.map(line)].join('\n');
  }
  const under = width! - 1 - underIndent.length;
  const rule = (cells: string[]) => cells.slice(0, last).map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [
    rule(header),
    rule(widths.map((w) => '-'.repeat(w))),
    ...rows.flatMap((r) => [rule(r), ...(r[last] ? [underIndent + shortenMiddle(r[last]!, under)] : [])]),
  ].join('\n');
}

/** Below this, a shortened ARN keeps too little to recognise, and the value goes under its row instead. */
const minimumFittedColumn = 32;
const underIndent = '    ';

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
export function leftoverLines(leftovers: Leftover[]): string[] {
  if (leftovers.length === 0) return [];
  return [
    'Still there:',
    ...leftovers.map(
      (l) => `  [${l.account}] ${l.title}: ${primaryId(l.outputs) ?? JSON.stringify(l.outputs)}${l.error ? ` (could not remove: ${errorMessage(l.error)})` : ''}${l.kept ? ` (kept: ${l.kept})` : ''}`,
    ),
  ];
}
