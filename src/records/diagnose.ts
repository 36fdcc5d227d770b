import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetEventSourceMappingCommand, paginateListEventSourceMappings } from '@aws-sdk/client-lambda';
import { awsCommand, type AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { awsErrorCode, errorMessage } from '../errors.js';
import { isErrorLine } from '../logs/record-lines.js';
import { recordsRetried } from '../pipeline/mapping-signals.js';
import { callAws, isNotFound } from '../aws/retry.js';
import type { Reporter } from '../render/types.js';
import { formatAge, grantStatus } from './grant-wait.js';
import type { SuggestCommand } from './stream.js';
import type { VerifyOutcome } from './verify.js';

/** With --verify: the consumer account, the function whose logs to watch, and its mapping when the state records it. */
export interface Watch {
  consumer: AccountSession;
  functionName: string;
  mappingUuid?: string | undefined;
  /** When the KMS grant the mapping reads with was created: a new one takes minutes to work. */
  grantCreatedAt?: number | undefined;
  /** The function and stream the deployment's own mapping connects, when they are not the ones watched: setup would not connect these. */
  deploymentMapping?: { functionName: string; streamName: string } | undefined;
}

/** The records that did not arrive: where they were sent, and where they were looked for. */
export interface Undelivered {
  deployment: string | undefined;
  suggest: SuggestCommand;
  streamName: string;
  streamArn: string | undefined;
  watch: Watch;
  logGroupName: string;
  /** Where the function's error lines are looked for from. */
  from: number;
  /** The flag that set how long to wait: send-test-record's --timeout, or setup's --verify-timeout. */
  timeoutFlag: string;
}

export interface Diagnostics {
  eventSourceMapping?: { uuid: string; state?: string; stateTransitionReason?: string; lastProcessingResult?: string; error?: string };
  /** Set when the mapping cannot decrypt the records only because the KMS grant is not in effect yet. */
  grantPending?: { createdAt: string; ageMs: number };
  functionErrors: string[];
  hints: string[];
}

type DiagnoseDeps = { clock: Clock; reporter: Pick<Reporter, 'debug'> };

/** Error lines the function logged since `from`: a few pages at most, since a busy function logs a lot. */
async function collectFunctionErrors(clock: Clock, consumer: AccountSession, logGroupName: string, from: number, into: string[]): Promise<void> {
  const seen = new Set(into);
  let nextToken: string | undefined;
  let pages = 0;
  try {
    do {
      const page = await callAws(clock, () =>
        consumer.clients.logs.send(new FilterLogEventsCommand({ logGroupName, startTime: from, ...(nextToken && { nextToken }) })),
      );
      for (const event of page.events ?? []) {
        const message = (event.message ?? '').trimEnd();
        if (isErrorLine(message) && !seen.has(message)) {
          seen.add(message);
          into.push(message);
        }
      }
      nextToken = page.nextToken;
    } while (nextToken && ++pages < 5 && into.length < 20);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * The mapping that feeds `functionName` from the stream: read from the stream itself (shared
 * throughput) or through an enhanced fan-out consumer of it, whose ARN starts with the stream's.
 */
async function findMapping(deps: DiagnoseDeps, consumer: AccountSession, functionName: string, streamArn: string | undefined): Promise<string | undefined> {
  if (!streamArn) return undefined;
  const pages = paginateListEventSourceMappings({ client: consumer.clients.lambda }, { FunctionName: functionName });
  try {
    for await (const page of pages) {
      const mapping = page.EventSourceMappings?.find((m) => m.EventSourceArn === streamArn || m.EventSourceArn?.startsWith(`${streamArn}/consumer/`));
      if (mapping?.UUID) return mapping.UUID;
    }
  } catch (error) {
    // A function that does not exist has no mapping; the diagnosis says so.
    if (!isNotFound(error)) throw error;
  }
  deps.reporter.debug(`No event source mapping of ${functionName} reads ${streamArn}.`);
  return undefined;
}

/** What makes the missing mapping: setup for the deployment's own, which it creates again; for any other pair, the flags that chose it. */
function noMappingFix({ deployment, watch, suggest }: Undelivered): string {
  const own = watch.deploymentMapping;
  if (deployment && own) {
    return `deployment "${deployment}" connects function ${own.functionName} to stream ${own.streamName}. Check --function-name and --stream-name, or leave them out to verify the deployment's own.`;
  }
  return deployment ? `run \`${suggest('setup')}\` to create it.` : `check --function-name and --stream-name, or create the pipeline with \`${suggest('setup')}\`.`;
}

/** What to check when records did not arrive: the mapping's state and last result, and the function's errors. */
export async function diagnose(deps: DiagnoseDeps, target: Undelivered, outcome: VerifyOutcome): Promise<Diagnostics> {
  const { deployment, watch, suggest } = target;
  // Without a deployment, status has nothing to check.
  const withStatus = deployment ? ` with \`${suggest('status')}\`` : '';
  const { consumer, functionName } = watch;
  const { clock } = deps;
  const hints: string[] = [];
  await collectFunctionErrors(clock, consumer, target.logGroupName, target.from, outcome.errorLines);
  const uuid = watch.mappingUuid ?? (await findMapping(deps, consumer, functionName, target.streamArn));
  let esm: Diagnostics['eventSourceMapping'];
  let grantPending: Diagnostics['grantPending'];
  let onFailure: string | undefined;
  if (!uuid) {
    hints.push(`No event source mapping connects function ${functionName} to stream ${target.streamName} in account ${consumer.accountId} (${consumer.region}): ${noMappingFix(target)}`);
  } else {
    try {
      const mapping = await callAws(clock, () => consumer.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })));
      esm = {
        uuid,
        ...(mapping.State && { state: mapping.State }),
        ...(mapping.StateTransitionReason && { stateTransitionReason: mapping.StateTransitionReason }),
        ...(mapping.LastProcessingResult && { lastProcessingResult: mapping.LastProcessingResult }),
      };
      onFailure = mapping.DestinationConfig?.OnFailure?.Destination;
      if (mapping.State === 'Disabled' || mapping.State === 'Disabling') {
        hints.push(`The event source mapping is ${mapping.State}, so the function receives nothing. Enable it: \`${awsCommand(consumer, `lambda update-event-source-mapping --uuid ${uuid} --enabled`)}\`.`);
      } else if (mapping.State === 'Creating' || mapping.State === 'Enabling' || mapping.State === 'Updating') {
        hints.push(`The event source mapping is still ${mapping.State}; a new mapping can take minutes to start polling. Try again with a longer ${target.timeoutFlag}.`);
      }
      const grant = grantStatus(mapping, watch.grantCreatedAt, clock.now());
      if (grant?.status === 'pending') {
        grantPending = { createdAt: new Date(grant.createdAt).toISOString(), ageMs: grant.ageMs };
        hints.push(
          `KMS grants are usually in effect within five minutes (CreateGrant API reference). ${recordsRetried(mapping)}: run \`${suggest('send-test-record', ['--verify'])}\` again in a few minutes.`,
        );
      } else if (grant?.status === 'late') {
        hints.push(
          `The mapping still cannot decrypt the stream's records, and the KMS grant was created ${formatAge(grant.ageMs)} ago, later than grants usually take to work (CreateGrant API reference: usually less than five minutes). Check the key, the grant and the role${withStatus}; if they are right, the grant is only late: ${recordsRetried(mapping)}.`,
        );
      } else if (grant) {
        hints.push(`The mapping cannot decrypt the stream's records. Check the key, the grant and the role${withStatus}.`);
      } else if (mapping.LastProcessingResult?.startsWith('PROBLEM')) {
        hints.push(`The mapping reports a problem reading the stream: check the stream and consumer policies, the KMS grant and the role${withStatus}.`);
      } else if (mapping.LastProcessingResult === 'No records processed' && mapping.State === 'Enabled') {
        // Enabled is not polling: a new mapping can take minutes to start (Lambda developer guide, Kinesis polling and stream starting position).
        hints.push(
          mapping.StartingPosition === 'LATEST'
            ? 'The mapping has processed no records yet. A new mapping can take minutes to start polling after it is Enabled, and one that starts at LATEST skips every record put before it polls, even those put after it was enabled: send another record in a few minutes.'
            : `The mapping has processed no records yet. A new mapping can take minutes to start polling after it is Enabled; it starts at ${mapping.StartingPosition ?? 'its starting position'}, so it delivers the records put meanwhile once it polls. Try again with a longer ${target.timeoutFlag}.`,
        );
      }
    } catch (error) {
      // Reported as part of the diagnosis: the records' absence is the failure being explained.
      esm = { uuid, error: `${awsErrorCode(error) ?? 'error'}: ${errorMessage(error)}` };
      if (isNotFound(error)) {
        hints.push(`The event source mapping ${uuid} no longer exists: run \`${suggest('setup')}\` to create it again.`);
      }
    }
  }
  if (outcome.errorLines.length > 0) {
    hints.push(
      onFailure
        ? `The function logged errors (above). The mapping retries the records; a batch it gives up on is reported to ${onFailure} (its shard and sequence numbers, so it can be re-read from the stream)${deployment ? `, and \`${suggest('status')}\` counts what waits there` : ''}.`
        : 'The function logged errors (above): fix them, and the mapping retries the records.',
    );
  }
  return { ...(esm && { eventSourceMapping: esm }), ...(grantPending && { grantPending }), functionErrors: outcome.errorLines, hints };
}
