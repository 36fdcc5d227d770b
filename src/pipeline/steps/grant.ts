import { CreateGrantCommand, RevokeGrantCommand } from '@aws-sdk/client-kms';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { kmsGrantRequest, sameStatements } from '../policies.js';
import { callAws } from '../../aws/retry.js';
import { STEP, type PipelineContext } from './context.js';
import { ignoreMissing, principalNotYetVisible } from './shared.js';
import { listGrants } from '../lookups.js';

/**
 * When the grant was created, kept in the state file: a new grant usually works within five minutes
 * (CreateGrant API reference), so whoever sees the mapping fail to decrypt needs its age to tell
 * "not in effect yet" from a real problem. A re-run's check takes KMS's own CreationDate.
 */
const grantCreatedAt = (at: Date | undefined): { createdAt?: string } => (at ? { createdAt: at.toISOString() } : {});

/** The KMS grant that lets the consumer role decrypt this stream's records, and nothing else. */
export function grantStep(ctx: PipelineContext): PipelineStep {
  const { names } = ctx;
  const kms = ctx.producer.clients.kms;
  const request = (step: StepContext) =>
    kmsGrantRequest({
      keyId: step.outputsOf(STEP.kmsKey).keyId!,
      roleArn: step.outputsOf(STEP.role).roleArn!,
      streamArn: step.outputsOf(STEP.stream).streamArn!,
      name: names.grantName,
    });
  return {
    id: STEP.grant,
    title: `KMS grant ${names.grantName}`,
    idOutput: 'grantId',
    removal: ({ title }) => `revoke ${title}`,
    account: 'producer',
    dependsOn: [STEP.kmsKey, STEP.role, STEP.stream],
    async check(step) {
      const wanted = request(step);
      const grants = await listGrants(step.clock, kms, wanted.KeyId!, wanted.GranteePrincipal);
      const found = grants.find(
        (g) =>
          g.Name === wanted.Name &&
          g.GranteePrincipal === wanted.GranteePrincipal &&
          sameStatements(g.Operations ?? [], wanted.Operations) &&
          g.Constraints?.EncryptionContextSubset?.['aws:kinesis:arn'] === wanted.Constraints?.EncryptionContextSubset?.['aws:kinesis:arn'],
      );
      if (!found) return { status: 'missing' };
      return { status: 'done', origin: 'created', outputs: { keyId: wanted.KeyId!, grantId: found.GrantId!, ...grantCreatedAt(found.CreationDate) } };
    },
    async apply(step) {
      const wanted = request(step);
      // KMS answers InvalidArnException for a role IAM has not shown it yet (terraform-provider-aws retries the same).
      const out = await callAws(step.clock, () => kms.send(new CreateGrantCommand(wanted)), { propagating: principalNotYetVisible, waitingFor: 'IAM to make the new role known to KMS', onRetry: step.progress });
      return { keyId: wanted.KeyId!, grantId: out.GrantId!, ...grantCreatedAt(new Date(step.clock.now())) };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => kms.send(new RevokeGrantCommand({ KeyId: outputs.keyId, GrantId: outputs.grantId }))));
    },
  };
}
