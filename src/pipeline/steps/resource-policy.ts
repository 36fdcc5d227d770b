import { DeleteResourcePolicyCommand, DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, GetResourcePolicyCommand, PutResourcePolicyCommand } from '@aws-sdk/client-kinesis';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { waitFor } from '../../engine/wait.js';
import { consumerPolicyStatement, mergeStatements, ownSids, parsePolicy, removeStatements, statementDrift, streamPolicyStatement, type PolicyStatement } from '../policies.js';
import { isOwnSid } from '../names.js';
import { callAws, hasCode, ifExists } from '../../aws/retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
import { principalNotYetVisible } from './shared.js';

/** How long a write to a shared policy is given before it is read back: about one API round trip of another writer. */
const POLICY_SETTLE_MS = 1_000;
const POLICY_WRITE_ATTEMPTS = 5;
/** Refusals in a row, each followed by a wait for ACTIVE, before a write gives up: more is not a passing state change. */
const ACTIVE_WRITE_ATTEMPTS = 5;

/**
 * Our statements in a resource policy that others may share (PutResourcePolicy replaces it whole):
 * read, merge by Sid, write back; undo removes only ours and deletes the policy when nothing is left.
 */
function resourcePolicyStep(
  ctx: PipelineContext,
  spec: {
    id: string;
    title: string;
    dependsOn: string[];
    /** What the policy is attached to, in progress lines: "stream", "consumer". */
    resource: string;
    /** The step that makes that resource: once it exists, the policy can be read. */
    resourceStep: string;
    resourceArn: (step: StepContext) => string;
    /** The resource's status (ACTIVE, UPDATING, ...), or undefined when it is gone. */
    status: (step: StepContext, arn: string) => Promise<string | undefined>;
    /** Our statement's Sid: a resource policy holds one statement of ours. */
    sid: string;
    statement: (step: StepContext, arn: string) => PolicyStatement;
    /** Other deployments write to this policy too (the stream's): read back after writing, in case one of them just replaced it. */
    shared: boolean;
  },
): PipelineStep {
  const kinesis = ctx.producer.clients.kinesis;
  const read = async (step: StepContext, arn: string) => (await ifExists(step.clock, () => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: arn }))))?.Policy;
  const outputsFor = (arn: string) => ({ resourceArn: arn, sid: spec.sid });
  const untilActive = (step: StepContext, arn: string) =>
    waitFor(async () => {
      const status = await spec.status(step, arn);
      if (status === undefined) throw new Error(`The ${spec.resource} ${arn} disappeared while waiting for it to be ACTIVE.`);
      return status === 'ACTIVE' ? { done: true, value: undefined } : { done: false, detail: `${spec.resource} is ${status}` };
    }, waitOptions(step, `${spec.resource} ${arn} to be ACTIVE`));
  /**
   * Kinesis writes a resource policy only while its stream or consumer is ACTIVE (ResourceInUseException
   * otherwise). Setup makes its own state changes before these writes, so a refusal is someone else's:
   * an adopted stream stays UPDATING for minutes while it is resharded. Wait for ACTIVE, then write again.
   */
  const whileActive = async <T>(step: StepContext, arn: string, write: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!hasCode(error, 'ResourceInUseException') || attempt === ACTIVE_WRITE_ATTEMPTS) throw error;
        step.progress(`the ${spec.resource} is not ACTIVE; waiting for it before writing the policy`);
        await untilActive(step, arn);
      }
    }
  };
  return {
    id: spec.id,
    title: spec.title,
    idOutput: 'resourceArn',
    // No removal wording of its own: "remove <title>" names the statement as setup does ("stream policy: read access for role …"), not by its Sid.
    // Both policies are on the stream or its consumer.
    goesWithStream: true,
    account: 'producer',
    dependsOn: spec.dependsOn,
    // The policy can be read as soon as its resource exists; the role only decides what our statement says.
    checkNeeds: [spec.resourceStep],
    async check(step) {
      const arn = spec.resourceArn(step);
      const current = await read(step, arn);
      const ours = parsePolicy(current)?.Statement.find((s) => s['Sid'] === spec.sid);
      // Say before writing that the policy is shared: PutResourcePolicy replaces it whole, and the others' statements go back in with ours.
      const detail = (...parts: Array<string | undefined>) => [...parts, othersKept(current, ctx.names.sidPrefix)].filter(Boolean).join('; ') || undefined;
      // The role is still to be created (a first run): our statement cannot name it yet.
      if (!step.existingOutputsOf(STEP.role)) {
        return ours
          ? { status: 'update', origin: 'created', outputs: outputsFor(arn), detail: detail('the role it names is missing; it will be rewritten')! }
          : { status: 'missing', detail: detail() };
      }
      const statement = spec.statement(step, arn);
      if (!mergeStatements(current, [statement], ctx.names.sidPrefix).changed) return { status: 'done', origin: 'created', outputs: outputsFor(arn) };
      if (ours) return { status: 'update', origin: 'created', outputs: outputsFor(arn), detail: detail(`${statementDrift(statement, ours)}; it will be rewritten`)! };
      return { status: 'missing', detail: detail(step.previous && 'our statement was removed; it will be put back') };
    },
    async apply(step) {
      const arn = spec.resourceArn(step);
      const statement = spec.statement(step, arn);
      // PutResourcePolicy replaces the whole policy: two deployments writing one stream's policy at the
      // same moment can each drop the other's statement. Read it back, and merge again until ours holds.
      for (let attempt = 1; ; attempt++) {
        const { json } = mergeStatements(await read(step, arn), [statement], ctx.names.sidPrefix);
        await whileActive(step, arn, () =>
          callAws(step.clock, () => kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: json })), {
            propagating: principalNotYetVisible,
            onRetry: step.progress,
          }),
        );
        if (!spec.shared) return outputsFor(arn);
        await step.clock.sleep(POLICY_SETTLE_MS);
        if (parsePolicy(await read(step, arn))?.Statement.some((s) => s['Sid'] === statement.Sid)) return outputsFor(arn);
        if (attempt === POLICY_WRITE_ATTEMPTS) {
          throw new Error(`Statement ${statement.Sid} keeps disappearing from the resource policy of ${arn}: something else keeps replacing the policy. Run setup again once that is done.`);
        }
        step.progress('another writer replaced the policy; merging again');
      }
    },
    async undo(step, outputs) {
      const arn = outputs.resourceArn!;
      const current = await read(step, arn);
      const ours = ownSids(ctx.names.sidPrefix);
      if (!parsePolicy(current)?.Statement.some((s) => ours.includes(s['Sid'] as string))) return;
      const remaining = removeStatements(current, ours);
      await whileActive(step, arn, () =>
        callAws(step.clock, () =>
          remaining
            ? kinesis.send(new PutResourcePolicyCommand({ ResourceARN: arn, Policy: JSON.stringify(remaining) }))
            : kinesis.send(new DeleteResourcePolicyCommand({ ResourceARN: arn })),
        ),
      );
    },
  };
}

/** "the policy already holds 2 other statements (AnalyticsTeam, …), which are kept", or undefined when it holds only ours. */
function othersKept(policyJson: string | undefined, sidPrefix: string): string | undefined {
  const others = parsePolicy(policyJson)?.Statement.filter((s) => !isOwnSid(s['Sid'], sidPrefix)) ?? [];
  if (others.length === 0) return undefined;
  const sids = others.map((s) => (typeof s['Sid'] === 'string' && s['Sid'] !== '' ? s['Sid'] : 'one without a Sid'));
  const shown = sids.length > 3 ? [...sids.slice(0, 3), '…'] : sids;
  return `the policy already holds ${others.length === 1 ? 'another statement' : `${others.length} other statements`} (${shown.join(', ')}), which ${others.length === 1 ? 'is' : 'are'} kept`;
}

/** The role as a person knows it: an adopted function's role is named only once the function has been read. */
function roleInWords({ config }: PipelineContext): string {
  return config.useExistingFunction ? `the role of function ${config.functionName}` : `role ${config.roleName}`;
}

/** The stream's policy: DescribeStream, GetRecords and the other read actions for the consumer role. */
export function streamPolicyStep(ctx: PipelineContext): PipelineStep {
  const { names } = ctx;
  const kinesis = ctx.producer.clients.kinesis;
  return resourcePolicyStep(ctx, {
    id: STEP.streamPolicy,
    title: `stream policy: read access for ${roleInWords(ctx)}`,
    // After the encryption change, which keeps the stream UPDATING; teardown, in reverse, removes the
    // statement before StopStreamEncryption does the same to an adopted stream.
    dependsOn: [STEP.stream, STEP.encryption, STEP.role],
    resource: 'stream',
    resourceStep: STEP.stream,
    resourceArn: (step) => step.outputsOf(STEP.stream).streamArn!,
    status: async (step, arn) => (await ifExists(step.clock, () => kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: arn }))))?.StreamDescriptionSummary?.StreamStatus,
    sid: names.sids.streamRead,
    statement: (step, arn) => streamPolicyStatement({ sid: names.sids.streamRead, roleArn: step.outputsOf(STEP.role).roleArn!, streamArn: arn }),
    shared: true,
  });
}

/** The EFO consumer's policy: DescribeStreamConsumer and SubscribeToShard for the consumer role. */
export function consumerPolicyStep(ctx: PipelineContext): PipelineStep {
  const { names } = ctx;
  const kinesis = ctx.producer.clients.kinesis;
  return resourcePolicyStep(ctx, {
    id: STEP.consumerPolicy,
    title: `consumer policy: read access for ${roleInWords(ctx)}`,
    dependsOn: [STEP.consumer, STEP.role],
    resource: 'consumer',
    resourceStep: STEP.consumer,
    resourceArn: (step) => step.outputsOf(STEP.consumer).consumerArn!,
    status: async (step, arn) => (await ifExists(step.clock, () => kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }))))?.ConsumerDescription?.ConsumerStatus,
    sid: names.sids.efoConsume,
    statement: (step, arn) => consumerPolicyStatement({ sid: names.sids.efoConsume, roleArn: step.outputsOf(STEP.role).roleArn!, consumerArn: arn }),
    // The consumer is this deployment's own; an adopted one with other writers is rare enough to not
    // cost every setup a read-back on its critical path.
    shared: false,
  });
}
