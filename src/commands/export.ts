import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { renderCloudFormation } from '../export/cloudformation.js';
import type { ExportResult } from '../export/output.js';
import { missingSteps, readDeployment, type DeploymentSnapshot } from '../export/snapshot.js';
import { renderTerraform } from '../export/terraform.js';
import { openDeployment } from '../deployment/open.js';
import { ExitCode, UserError } from '../errors.js';
import type { ExportFlags } from './flags.js';
import { commandLine } from './hints.js';

const RENDERERS: Record<string, (snapshot: DeploymentSnapshot) => Promise<ExportResult>> = {
  terraform: renderTerraform,
  cloudformation: renderCloudFormation,
};

/** What `--json` prints: the files written (relative to the folder), the warnings, and how many resources are imported. */
export interface ExportReport {
  name: string;
  format: string;
  out: string;
  files: string[];
  imports: number;
  warnings: string[];
}

/**
 * `kds-xacct export`: the deployment as Terraform or CloudFormation that adopts it. Reads both accounts and
 * writes only into `--out`; every check that can refuse runs before anything is written.
 */
export async function runExport(ctx: CommandContext, flags: ExportFlags): Promise<ExitCode> {
  const { format } = flags;
  const render = RENDERERS[format];
  if (!render) throw new UserError(`Unknown export format "${format}".`, `Pass --format ${Object.keys(RENDERERS).join(' or --format ')}.`);
  const out = path.resolve(ctx.environment.cwd, flags.out);
  await refuseOccupiedFolder(out, flags.force === true);

  const deployment = await openDeployment(ctx, ['producer', 'consumer']);
  const { name, producer, consumer, state } = deployment;
  const missing = missingSteps(state.steps);
  if (missing.length > 0) {
    throw new UserError(
      `Deployment "${name}" is not complete: ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} not run, so there is nothing whole to export.`,
      `Run \`${commandLine(ctx.options, 'setup', { name })}\` to finish it, then export again.`,
    );
  }
  const snapshot = await readDeployment({ name, clock: ctx.environment.clock, producer, consumer, steps: state.steps });
  const result = await render(snapshot);
  await writeExport(out, result);

  const report: ExportReport = { name, format, out, files: result.files.map((f) => f.path), imports: result.imports, warnings: result.warnings };
  ctx.reporter.result(report);
  for (const warning of result.warnings) ctx.reporter.warn(warning);
  ctx.reporter.info(`Wrote ${result.files.length} files to ${out}: ${result.imports} resources to import. ${out}/README.md says how.`);
  return ExitCode.Success;
}

async function refuseOccupiedFolder(out: string, force: boolean): Promise<void> {
  const entries = await readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw new UserError(`--out ${out} is a file, not a folder.`, 'Pass --out with a new or empty folder.');
    throw error;
  });
  if (entries.length > 0 && !force) {
    throw new UserError(`Folder ${out} holds ${entries.length} file(s) already; export writes only into a new or empty folder.`, `Pass another --out, or add --force to write into it (files of the same names are replaced).`);
  }
}

async function writeExport(out: string, result: ExportResult): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const file of result.files) await writeFile(path.join(out, file.path), file.content);
}
