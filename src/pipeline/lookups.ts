import { DescribeLogGroupsCommand, ListTagsForResourceCommand as ListLogTagsCommand, type CloudWatchLogsClient, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeStreamSummaryCommand, ListStreamsCommand, ListTagsForResourceCommand, type KinesisClient, type StreamDescriptionSummary, type StreamSummary } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, ListAliasesCommand, ListGrantsCommand, ListResourceTagsCommand, type AliasListEntry, type GrantListEntry, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';
import { GetFunctionCommand, GetFunctionConfigurationCommand, ListFunctionsCommand, ListTagsCommand, type FunctionConfiguration, type LambdaClient } from '@aws-sdk/client-lambda';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import type { StepContext } from '../engine/types.js';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { lambdaLogGroupName } from './names.js';
import { callAws, hasCode, ifExists } from '../aws/retry.js';
import type { PipelineContext } from './steps/context.js';

/** The stream's summary, or undefined when there is no such stream. */
export async function describeStream(clock: Clock, session: AccountSession, streamName: string): Promise<StreamDescriptionSummary | undefined> {
  return (await ifExists(clock, () => session.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))))?.StreamDescriptionSummary;
}

/** The tags of a Kinesis stream or consumer, as a map; empty when it is gone. */
export async function kinesisTags(clock: Clock, kinesis: KinesisClient, arn: string): Promise<Record<string, string>> {
  const tags = (await ifExists(clock, () => kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }))))?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.Key!, t.Value ?? '']));
}

/** The tags of a KMS key, as a map; empty when it is gone. */
export async function kmsKeyTags(clock: Clock, kms: KMSClient, keyId: string): Promise<Record<string, string>> {
  const tags = (await ifExists(clock, () => kms.send(new ListResourceTagsCommand({ KeyId: keyId }))))?.Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.TagKey!, t.TagValue ?? '']));
}

/** A log group by its exact name, or undefined: DescribeLogGroups matches a prefix, a page at a time. */
export async function describeLogGroup(clock: Clock, logs: CloudWatchLogsClient, logGroupName: string): Promise<LogGroup | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await callAws(clock, () => logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName, ...(nextToken && { nextToken }) })));
    const found = page.logGroups?.find((g) => g.logGroupName === logGroupName);
    if (found) return found;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** The tags of a log group, as a map; empty when it is gone. ListTagsForResource takes the ARN without the trailing `:*`. */
export async function logGroupTags(clock: Clock, logs: CloudWatchLogsClient, logGroupArn: string): Promise<Record<string, string>> {
  return (await ifExists(clock, () => logs.send(new ListLogTagsCommand({ resourceArn: logGroupArn }))))?.tags ?? {};
}

/** Every item of a paginated listing: each page is retried like any other call, and the next is asked for while there is one. */
async function everyPage<T>(clock: Clock, page: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const result = await callAws(clock, () => page(token));
    items.push(...(result.items ?? []));
    token = result.next;
  } while (token);
  return items;
}

/** Every grant on a key, optionally only those of one grantee: ListGrants returns 50 a page. */
export async function listGrants(clock: Clock, kms: KMSClient, keyId: string, granteePrincipal?: string): Promise<GrantListEntry[]> {
  return everyPage(clock, async (marker) => {
    const page = await kms.send(new ListGrantsCommand({ KeyId: keyId, ...(granteePrincipal && { GranteePrincipal: granteePrincipal }), ...(marker && { Marker: marker }) }));
    return { items: page.Grants, next: page.Truncated ? page.NextMarker : undefined };
  });
}

/** Every stream in the account and region, page by page, each page retried like any other call. */
export async function listStreams(clock: Clock, kinesis: KinesisClient): Promise<StreamSummary[]> {
  return everyPage(clock, async (token) => {
    const page = await kinesis.send(new ListStreamsCommand(token ? { NextToken: token } : {}));
    return { items: page.StreamSummaries, next: page.HasMoreStreams ? page.NextToken : undefined };
  });
}

/** Every KMS alias in the account and region, page by page. */
export async function listAliases(clock: Clock, kms: KMSClient): Promise<AliasListEntry[]> {
  return everyPage(clock, async (marker) => {
    const page = await kms.send(new ListAliasesCommand(marker ? { Marker: marker } : {}));
    return { items: page.Aliases, next: page.Truncated ? page.NextMarker : undefined };
  });
}

/** Every Lambda function in the account and region, page by page. */
export async function listFunctions(clock: Clock, lambda: LambdaClient): Promise<FunctionConfiguration[]> {
  return everyPage(clock, async (marker) => {
    const page = await lambda.send(new ListFunctionsCommand(marker ? { Marker: marker } : {}));
    return { items: page.Functions, next: page.NextMarker };
  });
}

/** The key's metadata, or undefined when there is no such key. */
export async function describeKey(clock: Clock, kms: KMSClient, keyId: string): Promise<KeyMetadata | undefined> {
  return (await ifExists(clock, () => kms.send(new DescribeKeyCommand({ KeyId: keyId }))))?.KeyMetadata;
}

/**
 * The log group a function writes to: `/aws/lambda/<function>` unless its LoggingConfig names another (Lambda
 * Developer Guide, "Configuring CloudWatch log groups"), which an adopted function may. A function that
 * does not exist yet will be ours, and log to the default group.
 */
export async function functionLogGroupName(clock: Clock, session: AccountSession, functionName: string): Promise<string> {
  const conf = await ifExists(clock, () => session.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })));
  return conf?.LoggingConfig?.LogGroup ?? lambdaLogGroupName(functionName);
}

export function getFunction(step: StepContext, ctx: PipelineContext) {
  return ifExists(step.clock, () => ctx.consumer.clients.lambda.send(new GetFunctionCommand({ FunctionName: ctx.config.functionName })));
}

/**
 * A function's tags, as a map; empty when it is gone. GetFunction returns tags only to a caller with an
 * explicit allow for lambda:ListTags (GetFunction API reference), and leaves them out silently otherwise,
 * which would make our own function look like someone else's: ask ListTags, which says when it is denied.
 */
export async function functionTags(clock: Clock, session: AccountSession, functionArn: string): Promise<Record<string, string>> {
  try {
    return (await ifExists(clock, () => session.clients.lambda.send(new ListTagsCommand({ Resource: functionArn }))))?.Tags ?? {};
  } catch (error) {
    if (!hasCode(error, 'AccessDeniedException')) throw error;
    throw new UserError(
      `Profile ${session.profile} may not read the tags of function ${functionArn} (lambda:ListTags): ${errorMessage(error)}`,
      `kds-xacct reads a function's tags to tell the function it created from anyone else's. Allow lambda:ListTags on ${functionArn} for profile ${session.profile}, or use a profile that has it.`,
      ExitCode.Failed,
    );
  }
}
