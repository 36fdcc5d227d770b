import { Chalk } from 'chalk';
import type { AccountSession } from '../aws/session.js';
import type { CommandContext } from '../context.js';
import { CommandFailedError, ExitCode, UserError } from '../errors.js';
import { EventPrinter, functionLogGroup, type LogGroupRef } from '../logs/events.js';
import { followLogGroup } from '../logs/follow.js';
import { groupExists, printHistory, waitForGroup } from '../logs/history.js';
import { StopSignal } from '../engine/stop-signal.js';
import type { TailContext } from '../logs/tail-context.js';
import { connectAccounts, openDeployment, requireMappedFunction, resolveDeploymentName } from '../deployment/open.js';
import { parseDuration } from './durations.js';
import { commandLine } from './hints.js';
import type { TailLogsFlags } from './flags.js';

/** Without --since, --no-follow prints this much history (as `aws logs tail` does). */
const DEFAULT_HISTORY_MS = 10 * 60_000;

/** The consumer account and the function to tail: `--function-name`, else the deployment's function. */
async function resolveTarget(ctx: CommandContext, functionFlag: string | undefined): Promise<{ consumer: AccountSession; functionName: string; deployment?: string }> {
  if (functionFlag) {
    if (ctx.options.consumerProfile) {
      // Any function: no deployment needed, only the consumer profile (and its region or --region).
      const { consumer } = await connectAccounts(ctx, { accounts: { consumer: {} } });
      return { consumer, functionName: functionFlag };
    }
    try {
      await resolveDeploymentName(ctx);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(
        `tail-logs --function-name ${functionFlag} needs the consumer account's profile.`,
        'Pass --consumer-profile <profile> (and --region if the profile names none), or --name of a deployment whose consumer profile to use.',
      );
    }
    const { consumer } = await openDeployment(ctx, ['consumer']);
    return { consumer, functionName: functionFlag };
  }
  const { consumer, state, name } = await openDeployment(ctx, ['consumer']);
  const functionName = requireMappedFunction(ctx, state);
  return { consumer, functionName, deployment: name };
}

/** --function-name, or --function, its older name; both at once must agree. */
function functionNameFlag(flags: TailLogsFlags): string | undefined {
  const { functionName: named, function: alias } = flags;
  if (named !== undefined && alias !== undefined && named !== alias) {
    throw new UserError(`--function-name ${named} and --function ${alias} name two functions.`, 'Give --function-name only; --function is its older name.');
  }
  return named ?? alias;
}

export async function runTailLogs(ctx: CommandContext, flags: TailLogsFlags): Promise<ExitCode> {
  const since = flags.since === undefined ? undefined : parseDuration(flags.since, '--since');
  const follow = flags.follow !== false;
  const filter = flags.filter === '' ? undefined : flags.filter;
  const functionFlag = functionNameFlag(flags);

  const { consumer, functionName, deployment } = await resolveTarget(ctx, functionFlag);
  const group = await functionLogGroup(ctx.environment.clock, consumer, functionName);
  const { environment } = ctx;
  const { json } = ctx.options;
  const style = new Chalk({ level: ctx.options.color && environment.stdoutIsTTY && !json ? 1 : 0 });
  const printer = new EventPrinter(environment.stdout, { json, logGroup: group.name, style });
  const tail: TailContext = {
    logs: consumer.clients.logs,
    group,
    filter,
    printer,
    stop: new StopSignal(environment.interrupt, environment.clock),
    clock: environment.clock,
    reporter: ctx.reporter,
    liveTailExpected: environment.sandbox === undefined,
  };

  if (!follow) {
    const from = environment.clock.now() - (since ?? DEFAULT_HISTORY_MS);
    if (!(await printHistory(tail, from))) throw missingGroupError(group, functionName, consumer, deployment && commandLine(ctx.options, 'send-test-record', { name: deployment }));
    if (printer.printed === 0 && !json) {
      ctx.reporter.info(`No log events in ${group.name} since ${new Date(from).toISOString()}${filter ? ` matching ${JSON.stringify(filter)}` : ''}.`);
    }
    return ExitCode.Success;
  }

  ctx.reporter.info(`Following ${group.name} in account ${consumer.accountId} (${consumer.region}). Ctrl-C to stop.`);
  const startedAt = environment.clock.now();
  let historyFrom = since === undefined ? undefined : startedAt - since;
  if (!(await groupExists(tail))) {
    if (!(await waitForGroup(tail))) return ExitCode.Success;
    // What the first invocations logged while we waited is shown too.
    historyFrom ??= startedAt;
  }
  await followLogGroup(tail, historyFrom);
  return ExitCode.Success;
}

/** `sendCommand` sends a record to the deployment whose function it is; absent for any other function. */
function missingGroupError(group: LogGroupRef, functionName: string, consumer: AccountSession, sendCommand: string | undefined): CommandFailedError {
  return new CommandFailedError(
    `Log group ${group.name} does not exist in account ${consumer.accountId} (${consumer.region}): function ${functionName} has not run yet, or it logs elsewhere.`,
    ExitCode.Failed,
    `Lambda creates the log group on the first invocation. Send a record ${sendCommand ? `with \`${sendCommand}\`` : 'to the stream it reads'}, or follow the logs without --no-follow to wait for it.`,
  );
}
