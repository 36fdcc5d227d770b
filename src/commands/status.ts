import type { CommandContext } from '../context.js';
import { newState } from '../deployment/store.js';
import { ExitCode, UserError } from '../errors.js';
import { configFromState } from '../pipeline/config.js';
import type { HealthReport } from '../pipeline/health-report.js';
import type { PipelineVerdict } from '../pipeline/mapping-signals.js';
import { assessHealth } from '../pipeline/health.js';
import { STEP, pipelineContext } from '../pipeline/steps/context.js';
import { openDeployment } from '../deployment/open.js';
import { accountFlags, commandLine, suggestCommand } from './hints.js';
import { keptKeyOutcome, recordedKeptKey } from './kept-key.js';
import type { StatusFlags } from './flags.js';
import { arnsFit, distinctArns, formatArns, formatResourceGroups } from './resource-list.js';

/**
 * `kds-xacct status`: the health of one deployment in both accounts. Read-only. Exit 0 when
 * healthy, 1 when any problem was found, 2 (a usage error, like any unknown name) when there is no
 * such deployment; `--json` prints the whole report as one document.
 */
export async function runStatus(ctx: CommandContext, flags: StatusFlags): Promise<ExitCode> {
  const { reporter, environment } = ctx;
  const deployment = await openDeployment(ctx, ['producer', 'consumer'], { allowMissingState: true });
  const { producer, consumer, name } = deployment;
  const state = deployment.state ?? newState(name, 'setup', new Date(environment.clock.now()));
  const config = configFromState(state, consumer.accountId);
  const pipeline = pipelineContext({ config, producer, consumer, previous: state });
  const suggest = suggestCommand(ctx.options, name);
  if (!deployment.state && deployment.keptKey) {
    const kept = await recordedKeptKey(environment.clock, producer, deployment.keptKey);
    throw new UserError(
      `Deployment "${name}" was torn down at ${deployment.tornDownAt}; only its KMS key is left. ${keptKeyOutcome(kept, environment.clock.now(), commandLine(ctx.options, 'teardown', { name }))}`,
      `Run \`${commandLine(ctx.options, 'setup', { name, accounts: accountFlags(producer, consumer) })}\` to set it up again.`,
    );
  }
  // setup starts again from the answers a state file recorded; without one, it needs the accounts.
  const setup = commandLine(ctx.options, 'setup', { name, ...(!deployment.state && { accounts: accountFlags(producer, consumer) }) });
  const report = await assessHealth(pipeline, { clock: environment.clock, repairCommand: setup, tailLogsCommand: (since) => suggest('tail-logs', ['--since', since, '--no-follow']) });
  // Nothing recorded and nothing found: a name that was never deployed (or is spelt wrong), not a deployment to repair.
  if (!deployment.state && report.resources.every((r) => r.status === 'missing' || r.status === 'unchecked' || r.status === 'skipped')) {
    throw new UserError(
      `There is no deployment "${name}": ${deployment.tornDownAt ? `it was torn down at ${deployment.tornDownAt}` : `no state file (${deployment.stateFile})`}, and none of its resources by their default names in account ${producer.accountId} or ${consumer.accountId} in ${producer.region}.`,
      `Check --name (and --state-dir if the state lives elsewhere), or run \`${setup}\` to create it.`,
    );
  }
  if (!deployment.state) {
    reporter.warn(`No state file for deployment "${name}" (${deployment.stateFile}); these are the resources found by that deployment's default names.`);
  }
  reporter.result(report);
  const arnListing = { show: flags.arns === true, command: commandLine(ctx.options, 'status', { name, args: ['--arns'] }) };
  reporter.info(formatReport(report, arnListing, ctx.tableWidth));
  if (report.healthy) return ExitCode.Success;
  // The report lists each problem with its fix; the error only says that there are some.
  const problems = report.findings.filter((f) => f.severity === 'error').length;
  reporter.error(`Deployment "${name}" is not healthy: ${problems} problem(s) to fix.`);
  return ExitCode.Failed;
}

const statusWords: Record<HealthReport['resources'][number]['status'], string> = {
  ok: 'ok',
  missing: 'MISSING',
  drifted: 'DRIFTED',
  unchecked: 'not checked',
  error: 'CHECK FAILED',
  skipped: 'skipped',
};

const deliveryWords: Record<PipelineVerdict['status'], string> = {
  ok: 'no problem reported',
  pending: 'waiting for AWS (see the warnings)',
  problem: 'PROBLEM (see below)',
};

/** How status shows ARNs: whether `--arns` asked for them, and the command that does. */
export interface ArnListing {
  show: boolean;
  command: string;
}

export function formatReport(report: HealthReport, arnListing: ArnListing, width?: number): string {
  const { producer, consumer } = report.accounts;
  const lines: string[] = [
    // Both accounts are always in one region: setup refuses profiles that are not.
    `Deployment "${report.deployment}" in ${producer.region}: producer ${producer.accountId}, consumer ${consumer.accountId}`,
    '',
    formatResourceGroups(
      ['origin', 'state', 'check'],
      report.resources.map((r) => ({
        account: r.account,
        title: r.title,
        cells: [r.origin ?? '-', r.state ?? '-', statusWords[r.status]],
        ...(r.detail && (r.status !== 'ok' || !r.id) && { note: r.detail }),
      })),
      report.accounts,
      width,
    ),
    '',
  ];
  // ARNs are long: listed whole where they fit or were asked for, else the way to ask is named.
  const arns = distinctArns(report.resources.map((r) => r.id));
  if (arns.length > 0) lines.push(arnsFit(arns, width) || arnListing.show ? formatArns(arns) : `Full ARNs: \`${arnListing.command}\`, or --json.`, '');
  if (report.stream) {
    const { encryption } = report.stream;
    const key = report.resources.find((r) => r.step === STEP.kmsKey);
    const whose = key?.origin === 'adopted' ? ` (${key.title}, kept on teardown)` : ` (the deployment's ${key?.title ?? 'key'})`;
    // The key's ARN on a line of its own, where it wraps nowhere.
    lines.push(encryption.type === 'KMS' ? `Stream encryption: KMS${encryption.ours ? whose : ''}\n  ${encryption.keyId}` : 'Stream encryption: none');
  }
  const esm = report.eventSourceMapping;
  if (esm) {
    lines.push(
      `Event source mapping ${esm.uuid}: ${esm.state ?? '?'}`,
      `  last processing result: ${esm.lastProcessingResult ?? '-'}`,
      `  state transition reason: ${esm.stateTransitionReason ?? '-'}`,
    );
  }
  if (report.delivery) lines.push(`Delivery, as Lambda reports it: ${deliveryWords[report.delivery.status]}.`);
  lines.push('');
  const errors = report.findings.filter((f) => f.severity === 'error');
  const warnings = report.findings.filter((f) => f.severity === 'warning');
  if (report.healthy) lines.push(`Healthy${warnings.length > 0 ? `, with ${warnings.length} warning(s):` : '.'}`);
  else lines.push(`Not healthy: ${errors.length} problem(s)${warnings.length > 0 ? ` and ${warnings.length} warning(s)` : ''}:`);
  for (const f of [...errors, ...warnings]) lines.push(`  ${f.severity === 'error' ? '✖' : '!'} [${f.account}] ${f.message}: ${f.fix}`);
  return lines.join('\n');
}
