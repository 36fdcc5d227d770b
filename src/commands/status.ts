import type { CommandContext } from '../context.js';
import { newState } from '../engine/state.js';
import { ExitCode } from '../errors.js';
import { configFromState } from '../pipeline/config.js';
import type { HealthReport } from '../pipeline/health-report.js';
import { assessHealth } from '../pipeline/health.js';
import { pipelineContext } from '../pipeline/steps/context.js';
import { resolveDeployment } from './deployment.js';
import { formatTable } from './report.js';

/**
 * `kds-xacct status`: the health of one deployment in both accounts. Read-only. Exit 0 when
 * healthy, 1 when any problem was found; `--json` prints the whole report as one document.
 */
export async function runStatus(ctx: CommandContext, _options: Record<string, unknown>): Promise<ExitCode> {
  const { reporter, environment } = ctx;
  const deployment = await resolveDeployment(ctx, ['producer', 'consumer'], { allowMissingState: true });
  const { producer, consumer, name } = deployment;
  if (!deployment.state) {
    reporter.warn(`No state file for deployment "${name}" (${deployment.stateFile}); checking the default resource names of that deployment.`);
  }
  const state = deployment.state ?? newState(name, 'setup', new Date(environment.clock.now()));
  const config = configFromState(state, consumer.accountId);
  const pipeline = pipelineContext({ config, producer, consumer, previous: state });
  const report = await assessHealth(pipeline, { clock: environment.clock, repairCommand: repairCommand(ctx, name) });
  reporter.result(report);
  reporter.info(formatReport(report));
  return report.healthy ? ExitCode.Success : ExitCode.Failed;
}

/** The setup command that repairs this deployment: setup starts again from the answers its state file recorded. */
function repairCommand(ctx: CommandContext, name: string): string {
  return `kds-xacct setup --name ${name}${ctx.options.stateDir === '.kds-xacct' ? '' : ` --state-dir ${ctx.options.stateDir}`}`;
}

const statusWords: Record<HealthReport['resources'][number]['status'], string> = {
  ok: 'ok',
  missing: 'MISSING',
  drifted: 'DRIFTED',
  unchecked: 'not checked',
  error: 'CHECK FAILED',
  skipped: 'skipped',
};

export function formatReport(report: HealthReport): string {
  const { producer, consumer } = report.accounts;
  const lines: string[] = [
    `Deployment "${report.deployment}": producer account ${producer.accountId} (${producer.region}), consumer account ${consumer.accountId} (${consumer.region})`,
    '',
    formatTable(
      ['account', 'resource', 'origin', 'state', 'check', 'id / detail'],
      report.resources.map((r) => [r.account, r.step, r.origin ?? '-', r.state ?? '-', statusWords[r.status], r.status === 'ok' ? (r.id ?? r.detail ?? '') : (r.detail ?? r.id ?? '')]),
    ),
    '',
  ];
  if (report.stream) {
    const { encryption } = report.stream;
    lines.push(`Stream encryption: ${encryption.type === 'KMS' ? `KMS with ${encryption.keyId}${encryption.ours ? " (the deployment's key)" : ''}` : 'none'}`);
  }
  const esm = report.eventSourceMapping;
  if (esm) {
    lines.push(`Event source mapping ${esm.uuid}: ${esm.state ?? '?'}; last processing result: ${esm.lastProcessingResult ?? '-'}; state transition reason: ${esm.stateTransitionReason ?? '-'}`);
  }
  const { access } = report;
  if (!access.checked) lines.push(`Access check: not run, because ${access.reason}.`);
  else if (access.denied.length === 0) lines.push(`Access check (IAM simulation over the live policies): the role may do all ${access.allowed.length} actions the mapping needs.`);
  else lines.push(`Access check (IAM simulation over the live policies): ${access.denied.length} of ${access.allowed.length + access.denied.length} needed actions denied: ${access.denied.map((d) => d.action).join(', ')}.`);
  lines.push('');
  const errors = report.findings.filter((f) => f.severity === 'error');
  const warnings = report.findings.filter((f) => f.severity === 'warning');
  if (report.healthy) lines.push(`Healthy${warnings.length > 0 ? `, with ${warnings.length} warning(s):` : '.'}`);
  else lines.push(`Not healthy: ${errors.length} problem(s)${warnings.length > 0 ? ` and ${warnings.length} warning(s)` : ''}:`);
  for (const f of [...errors, ...warnings]) lines.push(`  ${f.severity === 'error' ? '✖' : '!'} [${f.account}] ${f.message}: ${f.fix}`);
  return lines.join('\n');
}
