/** Teardown without a state file: a deployment's resources found by their tags and deterministic names. */
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeStreamConsumerCommand, GetResourcePolicyCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, ListEventSourceMappingsCommand, ListTagsCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import type { AccountRole, AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { newState, type DeploymentState } from '../deployment/store.js';
import type { Outputs } from '../engine/types.js';
import { TAG_DEPLOYMENT, arns, defaultNames, type DeploymentNames } from './names.js';
import { hasStatements, parsePolicy } from './policies.js';
import { callAws, ifExists } from '../aws/retry.js';
import { describeStream, functionLogGroupName, functionTags, kinesisTags, kmsKeyTags, listGrants, logGroupTags } from './lookups.js';
import { STEP } from './steps/context.js';
import { failureQueueArn } from './steps/failure-queue.js';

const isOursTagged = (tags: Record<string, string | undefined> | undefined, deployment: string) => tags?.[TAG_DEPLOYMENT] === deployment;

/** The stream name of a stream or consumer ARN in `producer`'s account and region, if it is one. */
function streamNameOf(arn: string | undefined, producer: AccountSession): string | undefined {
  const match = /^arn:[^:]+:kinesis:([^:]+):(\d{12}):stream\/([^/]+)/.exec(arn ?? '');
  return match && match[1] === producer.region && match[2] === producer.accountId ? match[3] : undefined;
}

/** Our mappings, found from either end: our function, or our consumer (by its deterministic name) on any stream. */
async function findMappings(name: string, names: DeploymentNames, accounts: Record<AccountRole, AccountSession>, clock: Clock): Promise<Map<string, EventSourceMappingConfiguration>> {
  const { producer, consumer } = accounts;
  const { lambda } = consumer.clients;
  const mappings = new Map<string, EventSourceMappingConfiguration>();
  const ourConsumerSource = new RegExp(`^arn:[^:]+:kinesis:${producer.region}:${producer.accountId}:stream/[^/]+/consumer/${names.consumerName.replace(/[.]/g, '\\.')}:`);
  let marker: string | undefined;
  do {
    const page = await callAws(clock, () => lambda.send(new ListEventSourceMappingsCommand({ ...(marker && { Marker: marker }) })));
    for (const m of page.EventSourceMappings ?? []) {
      const mine = m.FunctionArn?.endsWith(`:function:${names.functionName}`) || ourConsumerSource.test(m.EventSourceArn ?? '');
      if (!mine || m.State === 'Deleting' || mappings.has(m.UUID!)) continue;
      const arn = m.EventSourceMappingArn ?? arns.eventSourceMapping(consumer.region, consumer.accountId, m.UUID!);
      const tags = (await ifExists(clock, () => lambda.send(new ListTagsCommand({ Resource: arn }))))?.Tags;
      if (isOursTagged(tags, name)) mappings.set(m.UUID!, m);
    }
    marker = page.NextMarker;
  } while (marker);
  return mappings;
}

/**
 * The first candidate stream that is ours by its tag or its consumer's, or that our mappings or inline policy
 * name, with our consumer on it if that is ours.
 */
async function findStream(
  name: string,
  names: DeploymentNames,
  producer: AccountSession,
  clock: Clock,
  candidates: string[],
): Promise<{ stream?: { name: string; arn: string; ours: boolean; keyId?: string }; efo?: { name: string; arn: string } }> {
  const { kinesis } = producer.clients;
  for (const candidate of candidates) {
    const summary = await describeStream(clock, producer, candidate);
    if (!summary || summary.StreamStatus === 'DELETING') continue;
    const ours = isOursTagged(await kinesisTags(clock, kinesis, summary.StreamARN!), name);
    const found = (await ifExists(clock, () => kinesis.send(new DescribeStreamConsumerCommand({ StreamARN: summary.StreamARN, ConsumerName: names.consumerName }))))?.ConsumerDescription;
    let consumerOurs = false;
    if (found && found.ConsumerStatus !== 'DELETING') {
      consumerOurs = isOursTagged(await kinesisTags(clock, kinesis, found.ConsumerARN!), name);
    }
    const named = candidate !== names.streamName;
    if (!ours && !consumerOurs && !named) continue;
    const stream = { name: candidate, arn: summary.StreamARN!, ours, ...(summary.EncryptionType === 'KMS' && summary.KeyId ? { keyId: summary.KeyId } : {}) };
    return { stream, ...(consumerOurs && { efo: { name: found!.ConsumerName!, arn: found!.ConsumerARN! } }) };
  }
  return {};
}

/**
 * Rebuilds a deployment's state from what exists. Only resources tagged for this deployment are
 * recorded as created; statements, grants and inline policies are ours by their deterministic
 * Sid or name. Adopted resources that are found (the stream or function our pieces hang on) are
 * recorded as adopted, so that the plan shows them as kept.
 */
export async function discoverDeployment(name: string, accounts: Record<AccountRole, AccountSession>, clock: Clock, now: Date): Promise<DeploymentState> {
  const { producer, consumer } = accounts;
  const names = defaultNames(name, consumer.accountId);
  const policyName = names.rolePolicyName;
  const state = newState(name, 'teardown', now);
  state.accounts = {
    producer: { profile: producer.profile, accountId: producer.accountId, region: producer.region },
    consumer: { profile: consumer.profile, accountId: consumer.accountId, region: consumer.region },
  };
  const record = (stepId: string, origin: 'created' | 'adopted', outputs: Outputs) => {
    state.steps[stepId] = { origin, phase: 'ready', outputs, runId: 'discovered', updatedAt: now.toISOString(), detail: 'found by tags and names' };
  };
  const { kinesis, kms } = producer.clients;
  const { iam, lambda } = consumer.clients;

  // Consumer account: role, function, their inline policy and mappings.
  const role = (await ifExists(clock, () => iam.send(new GetRoleCommand({ RoleName: names.roleName }))))?.Role;
  const roleTags = Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key!, t.Value]));
  if (role && isOursTagged(roleTags, name)) record(STEP.role, 'created', { roleName: role.RoleName!, roleArn: role.Arn! });
  const fn = await ifExists(clock, () => lambda.send(new GetFunctionCommand({ FunctionName: names.functionName })));
  if (fn && isOursTagged(await functionTags(clock, consumer, fn.Configuration!.FunctionArn!), name)) record(STEP.function, 'created', { functionName: fn.Configuration!.FunctionName!, functionArn: fn.Configuration!.FunctionArn! });

  const inlinePolicyOn = async (roleName: string) => {
    const doc = (await ifExists(clock, () => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))))?.PolicyDocument;
    if (doc === undefined) return undefined;
    record(STEP.rolePolicy, 'created', { roleName, policyName });
    return parsePolicy(decodeURIComponent(doc));
  };
  const inline = state.steps[STEP.role] ? await inlinePolicyOn(names.roleName) : undefined;

  // A mapping found by our consumer also leads to an adopted stream and function with names of their own.
  const mappings = await findMappings(name, names, accounts, clock);

  // Producer account: the stream is the default one, or the one our mappings or inline policy name.
  const candidates = [
    names.streamName,
    ...[...mappings.values()].map((m) => streamNameOf(m.EventSourceArn, producer)),
    ...(inline?.Statement ?? []).flatMap((s) => [s['Resource']].flat().map((r) => streamNameOf(typeof r === 'string' ? r : undefined, producer))),
  ].filter((n, i, all): n is string => n !== undefined && all.indexOf(n) === i);
  const { stream, efo } = await findStream(name, names, producer, clock, candidates);

  if (stream) {
    record(STEP.stream, stream.ours ? 'created' : 'adopted', { streamName: stream.name, streamArn: stream.arn, origin: stream.ours ? 'created' : 'adopted' });
    const streamPolicy = (await ifExists(clock, () => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: stream.arn }))))?.Policy;
    if (hasStatements(streamPolicy, [names.sids.streamRead])) record(STEP.streamPolicy, 'created', { resourceArn: stream.arn, sid: names.sids.streamRead });
  }
  if (efo) {
    record(STEP.consumer, 'created', { consumerName: efo.name, consumerArn: efo.arn });
    const consumerPolicy = (await ifExists(clock, () => kinesis.send(new GetResourcePolicyCommand({ ResourceARN: efo.arn }))))?.Policy;
    if (hasStatements(consumerPolicy, [names.sids.efoConsume])) record(STEP.consumerPolicy, 'created', { resourceArn: efo.arn, sid: names.sids.efoConsume });
  }

  const mapping = [...mappings.values()][0];
  if (mapping) {
    const functionName = mapping.FunctionArn!.split(':').pop()!;
    record(STEP.esm, 'created', { uuid: mapping.UUID!, eventSourceArn: mapping.EventSourceArn!, functionName });
    if (!state.steps[STEP.function]) {
      // Someone else's function: kept, but our inline policy on its role goes.
      const adopted = await ifExists(clock, () => lambda.send(new GetFunctionCommand({ FunctionName: functionName })));
      if (adopted) {
        record(STEP.function, 'adopted', { functionName, functionArn: adopted.Configuration!.FunctionArn! });
        const roleArn = adopted.Configuration!.Role!;
        const roleName = roleArn.split('/').pop()!;
        if (!state.steps[STEP.role]) record(STEP.role, 'adopted', { roleName, roleArn });
        if (!state.steps[STEP.rolePolicy]) await inlinePolicyOn(roleName);
      }
    }
  }

  // The log group of whichever function the deployment has, where its LoggingConfig sends its logs (an adopted
  // function may name its own group): ours only by its tag, never by its name.
  const logGroupName = await functionLogGroupName(clock, consumer, state.steps[STEP.function]?.outputs.functionName ?? names.functionName);
  const logGroupArn = arns.logGroup(consumer.region, consumer.accountId, logGroupName);
  if (isOursTagged(await logGroupTags(clock, consumer.clients.logs, logGroupArn), name)) record(STEP.logGroup, 'created', { logGroupName, logGroupArn });
  const queueName = names.failureQueueName;
  const queueUrl = (await ifExists(clock, () => consumer.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))))?.QueueUrl;
  if (queueUrl && isOursTagged((await callAws(clock, () => consumer.clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl })))).Tags, name)) {
    record(STEP.failureQueue, 'created', { queueName, queueUrl, queueArn: failureQueueArn({ consumer, names }) });
  }

  // The key: ours by alias and tag, or the adopted key the stream is encrypted with (for our grant).
  const keyOf = async (keyId: string) => (await ifExists(clock, () => kms.send(new DescribeKeyCommand({ KeyId: keyId }))))?.KeyMetadata;
  const ourKey = await keyOf(names.kmsAlias);
  let grantKeyId: string | undefined;
  if (ourKey) {
    if (isOursTagged(await kmsKeyTags(clock, kms, ourKey.KeyId!), name)) {
      record(STEP.kmsKey, 'created', { keyId: ourKey.KeyId!, keyArn: ourKey.Arn!, aliasName: names.kmsAlias });
      grantKeyId = ourKey.KeyId!;
    }
  }
  if (stream?.keyId) {
    const streamKey = await keyOf(stream.keyId);
    if (streamKey && streamKey.KeyId === ourKey?.KeyId && state.steps[STEP.kmsKey] && !stream.ours) {
      // We encrypted someone else's stream with our key: turn that off before the key goes.
      record(STEP.encryption, 'created', { keyArn: streamKey.Arn!, streamOrigin: 'adopted' });
    } else if (streamKey && streamKey.KeyManager === 'CUSTOMER' && streamKey.KeyId !== ourKey?.KeyId) {
      if (!state.steps[STEP.kmsKey]) record(STEP.kmsKey, 'adopted', { keyId: streamKey.KeyId!, keyArn: streamKey.Arn! });
      grantKeyId ??= streamKey.KeyId!;
    }
  }
  // A grant by our name is only looked for once something else of this deployment was found.
  if (grantKeyId && Object.keys(state.steps).length > 0) {
    const keyId = grantKeyId;
    const grants = (await ifExists(clock, () => listGrants(clock, kms, keyId))) ?? [];
    const grant = grants.find((g) => g.Name === names.grantName);
    if (grant) record(STEP.grant, 'created', { keyId, grantId: grant.GrantId! });
  }

  state.inputs = {
    name,
    streamName: stream?.name ?? names.streamName,
    useExistingStream: stream !== undefined && !stream.ours,
    consumerName: efo?.name ?? names.consumerName,
    roleName: state.steps[STEP.role]?.outputs.roleName ?? names.roleName,
    functionName: state.steps[STEP.function]?.outputs.functionName ?? names.functionName,
    useExistingFunction: state.steps[STEP.function]?.origin === 'adopted',
    producerProfile: producer.profile,
    consumerProfile: consumer.profile,
  };
  return state;
}
