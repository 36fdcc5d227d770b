import { awsCommand } from '../aws/session.js';
import { buildHandlerZip, codeSha256 } from '../pipeline/bundle.js';
import type { DeploymentSnapshot, PolicySnapshot } from './snapshot.js';

/** One file of an export, by its path inside the output folder. */
export interface ExportFile {
  path: string;
  content: string | Uint8Array;
}

/** What a renderer makes of a snapshot: the files, what the user must know, and how many resources are imported. */
export interface ExportResult {
  files: ExportFile[];
  warnings: string[];
  imports: number;
}

/** The zip file beside the configuration that holds the function's code. */
export const FUNCTION_ZIP = 'function.zip';

/**
 * The function's code as deployed, when kds-xacct can produce the same bytes: its bundled handler, whose
 * zip is reproducible (bundle.ts) and whose hash Lambda reports as CodeSha256. Anything else (code changed
 * since setup) cannot be read back without downloading it, which export does not do.
 */
export async function deployedCode(snapshot: DeploymentSnapshot): Promise<Uint8Array | undefined> {
  if (snapshot.fn.origin !== 'created') return undefined;
  const zip = await buildHandlerZip();
  return codeSha256(zip) === snapshot.fn.codeSha256 ? zip : undefined;
}

export function codeWarning(snapshot: DeploymentSnapshot): string {
  const consumer = { role: 'consumer' as const, profile: snapshot.consumer.profile, region: snapshot.region, simulated: snapshot.consumer.simulated };
  return `The code of function ${snapshot.fn.name} (CodeSha256 ${snapshot.fn.codeSha256}) is not kds-xacct's bundled handler, so ${FUNCTION_ZIP} was not written: put the deployed code there (Code.Location of \`${awsCommand(consumer, `lambda get-function --function-name ${snapshot.fn.name}`)}\`) before planning.`;
}

/** The warning for a resource policy the export writes whole: IaC owns the document, not a statement of it. */
export function policyWarning(what: string, policy: PolicySnapshot): string {
  const others = policy.otherSids.length > 0 ? ` It holds ${policy.otherSids.length} statement(s) kds-xacct did not write (${policy.otherSids.join(', ')}), exported as they are.` : '';
  return `The ${what} of ${policy.resourceArn} is exported whole: this code now owns the whole document, and whoever else writes that policy (another kds-xacct deployment, a console edit, another stack) must do it through this code from now on.${others}`;
}

/** What the user takes on from kds-xacct once the code owns the deployment. */
const WHAT_YOU_TAKE_ON = [
  "A new KMS grant can take up to five minutes to work everywhere (CreateGrant API reference): kds-xacct waits for it before it calls a pipeline ready; a plan or stack that recreates the grant does not.",
  "Teardown order: the event source mapping first, the stream and its consumer last (DeleteStream fails while consumers exist).",
  "Keys: a key that encrypted a stream's records must stay Enabled until the last of those records has expired (the stream's retention period), because a disabled key or one pending deletion decrypts nothing.",
  "Adopted resources are referred to, never owned: the code cannot delete them.",
];

/** The end of an export's README, the same for both formats: what is kept out, the warnings, what the user takes on. */
export function readmeClosing(keptOut: string[], warnings: string[]): string[] {
  return ['## Kept out, and why', '', ...keptOut, '', '## Warnings', '', ...warnings.map((w) => `- ${w}`), '', '## What you take on from kds-xacct', '', ...WHAT_YOU_TAKE_ON.map((w) => `- ${w}`), ''];
}

export function deploymentTitle(snapshot: DeploymentSnapshot): string {
  return `kds-xacct deployment "${snapshot.name}": stream ${snapshot.stream.name} in account ${snapshot.producer.accountId}, function ${snapshot.fn.name} in account ${snapshot.consumer.accountId}, region ${snapshot.region}`;
}

/** What kds-xacct changed on an adopted stream and neither tool can own without owning the stream. */
export function adoptedEncryptionWarning(snapshot: DeploymentSnapshot): string {
  return `Stream ${snapshot.stream.name} is adopted, so its encryption with key ${snapshot.key.arn}, which kds-xacct turned on, is not in this code: keep it on, or the consumer cannot read new records encrypted with another key.`;
}
