import type { AccountSession } from '../aws/session.js';
import { type Clock, formatDuration } from '../engine/clock.js';
import type { Interrupt } from '../engine/engine.js';
import { ExitCode } from '../errors.js';
import { functionLogGroup } from '../logs/events.js';
import type { Reporter } from '../render/types.js';
import { diagnose, type Diagnostics, type Watch } from './diagnose.js';
import { formatAge, GrantWatch } from './grant-wait.js';
import { putRecords, sendFailureHint } from './put-records.js';
import { checkStreamWritable, type StreamRef, type SuggestCommand } from './stream.js';
import { buildRecords } from './test-records.js';
import { type Latency, latencySpread, logSearchStart, verifyDelivery } from './verify.js';

/** Lines printed per list before "... and N more". */
const MAX_LINES = 50;

/** Where test records go and, with a watch, whose logs show them arriving. */
export interface RoundTripTarget {
  /** The deployment, when one was named or found; undefined when every value came from flags. */
  deployment?: string | undefined;
  suggest: SuggestCommand;
  producer: AccountSession;
  stream: StreamRef;
  watch?: Watch | undefined;
}

export interface TestRecords {
  count: number;
  /** Sent as it is in every record; without it, each record is a JSON test record. */
  payload?: Uint8Array | undefined;
  partitionKey?: string | undefined;
  /** How long to wait for the records in the function's logs, when there is a watch. */
  timeoutMs: number;
  /** The flag that sets timeoutMs, named in the hint to wait longer; --timeout unless said. */
  timeoutFlag?: string;
}

export interface RoundTripDeps {
  clock: Clock;
  interrupt: Interrupt;
  reporter: Reporter;
}

/** How it went, and what to put in the command's JSON result. */
export interface RoundTripResult {
  code: ExitCode;
  output: Record<string, unknown>;
}

function limitLines<T>(items: readonly T[], render: (item: T) => string): string[] {
  const lines = items.slice(0, MAX_LINES).map(render);
  if (items.length > MAX_LINES) lines.push(`  … and ${items.length - MAX_LINES} more (--json lists them all)`);
  return lines;
}

function reportLatencies(reporter: Reporter, functionName: string, latencies: readonly Latency[]): void {
  if (latencies.length === 0) return;
  reporter.info(`Arrived in ${functionName} (end-to-end latency, send to log line):`);
  for (const line of limitLines(latencies, (l) => `  #${l.index + 1} sequence ${l.sequenceNumber}: ${formatDuration(l.latencyMs)}`)) {
    reporter.info(line);
  }
  if (latencies.length > 1) {
    const { min, median, max } = latencySpread(latencies);
    reporter.info(`  min ${formatDuration(min)}, median ${formatDuration(median)}, max ${formatDuration(max)}`);
  }
}

/** What is known of records that did not arrive: how many, the mapping's state and the function's errors. */
function undeliveredLines(diagnostics: Diagnostics, counts: { missing: number; sent: number; logGroupName: string; timeoutMs: number }): string[] {
  const esm = diagnostics.eventSourceMapping;
  const { grantPending } = diagnostics;
  return [
    `${counts.missing} of ${counts.sent} record(s) did not appear in ${counts.logGroupName} within ${formatDuration(counts.timeoutMs)}` +
      (grantPending ? `: the KMS grant was created ${formatAge(grantPending.ageMs)} ago and is not in effect yet.` : '.'),
    ...(esm
      ? [
          `  Event source mapping ${esm.uuid}: ${esm.error ?? `State ${esm.state ?? '?'}`}`,
          ...(esm.stateTransitionReason ? [`  StateTransitionReason: ${esm.stateTransitionReason}`] : []),
          ...(esm.lastProcessingResult ? [`  LastProcessingResult: ${esm.lastProcessingResult}`] : []),
        ]
      : []),
    ...(diagnostics.functionErrors.length > 0
      ? [`  Function errors in ${counts.logGroupName}:`, ...diagnostics.functionErrors.slice(0, 10).map((l) => `    ${l}`)]
      : [`  No function errors were logged in ${counts.logGroupName}.`]),
  ];
}

/**
 * Puts test records into the stream and, with a watch, waits until the consumer function has logged
 * every one of them, then says how long each took; when some do not arrive, explains why as far as
 * the mapping and the function's logs tell. The records' sending and their verification are told
 * through the reporter as they happen; the result is left to the caller, which may add to it.
 */
export async function sendTestRecords(deps: RoundTripDeps, target: RoundTripTarget, request: TestRecords): Promise<RoundTripResult> {
  const { deployment, producer, stream, suggest } = target;
  const { clock, interrupt, reporter } = deps;
  const streamArn = await checkStreamWritable(clock, stream, producer, deployment, suggest);

  const records = buildRecords({
    count: request.count,
    payload: request.payload,
    partitionKey: request.partitionKey,
    origin: deployment ? `deployment ${deployment}` : `stream ${stream.name}`,
    producerAccountId: producer.accountId,
    now: clock.now(),
  });
  const result = await putRecords({ clock, reporter }, producer.clients.kinesis, stream, records);

  if (result.sent.length > 0) {
    reporter.info(`Sent ${result.sent.length} record(s) to stream ${stream.name} in account ${producer.accountId} (${producer.region}):`);
    // The sequence number (56 digits) on a line of its own, where it wraps nowhere at 80 columns.
    for (const line of limitLines(result.sent, (r) => `  #${r.index + 1} ${r.shardId}${r.id ? `, id ${r.id}` : ''}\n     sequence ${r.sequenceNumber}`)) {
      reporter.info(line);
    }
  }
  const output: Record<string, unknown> = {
    ...(deployment && { deployment }),
    stream: { name: stream.name, ...(streamArn && { arn: streamArn }) },
    producerAccountId: producer.accountId,
    records: result.sent.map((r) => ({ ...r, sentAt: new Date(r.sentAt).toISOString() })),
    failed: result.failed,
  };

  if (result.failed.length > 0) {
    reporter.error(
      `${result.failed.length} of ${request.count} record(s) could not be sent, even after retrying:\n` +
        limitLines(result.failed, (f) => `  #${f.index + 1} partition key ${f.partitionKey}: ${f.errorCode}: ${f.errorMessage}`).join('\n'),
      sendFailureHint(result.failed),
    );
    return { code: ExitCode.Failed, output };
  }

  const { watch } = target;
  if (!watch) return { code: ExitCode.Success, output };

  const { consumer, functionName } = watch;
  const group = await functionLogGroup(clock, consumer, functionName);
  const { timeoutMs } = request;
  const stopWaiting = reporter.waiting(`Waiting for ${result.sent.length === 1 ? 'the record' : `${result.sent.length} records`} in ${group.name} (up to ${formatDuration(timeoutMs)})…`);
  const grantWatch = new GrantWatch({ clock, reporter }, watch);
  const outcome = await verifyDelivery({ clock, interrupt, reporter, whileWaiting: () => grantWatch.whileWaiting() }, consumer.clients.logs, group.name, result.sent, timeoutMs).finally(stopWaiting);
  const verifyOutput: Record<string, unknown> = {
    ok: outcome.ok,
    logGroup: group.name,
    latencies: outcome.latencies,
    missing: outcome.missing.map((r) => ({ index: r.index, sequenceNumber: r.sequenceNumber })),
  };
  output.verify = verifyOutput;

  reportLatencies(reporter, functionName, outcome.latencies);
  if (outcome.ok) {
    reporter.info(`Verified: all ${result.sent.length} record(s) reached the consumer function.`);
    return { code: ExitCode.Success, output };
  }
  if (outcome.interrupted) {
    reporter.error(`Stopped waiting: ${outcome.missing.length} record(s) not seen yet.`);
    return { code: ExitCode.Interrupted, output };
  }

  const diagnostics = await diagnose(
    { clock, reporter },
    { deployment, suggest, streamName: stream.name, streamArn, watch, logGroupName: group.name, from: logSearchStart(result.sent), timeoutFlag: request.timeoutFlag ?? '--timeout' },
    outcome,
  );
  verifyOutput.diagnostics = diagnostics;
  const lines = undeliveredLines(diagnostics, { missing: outcome.missing.length, sent: result.sent.length, logGroupName: group.name, timeoutMs });
  if (diagnostics.grantPending) {
    // Not a failure of the pipeline, only of this wait: worded as such, though the records remain unverified.
    reporter.error(`Not verified yet: ${lines.join('\n')}`, diagnostics.hints.join('\n'));
    return { code: ExitCode.Failed, output };
  }
  const follow = deployment
    ? `Follow the function's logs with \`${suggest('tail-logs')}\`, and check the pipeline with \`${suggest('status')}\`.`
    : `Follow the function's logs with \`${suggest('tail-logs', ['--consumer-profile', consumer.profile, '--region', consumer.region, '--function-name', functionName])}\`.`;
  reporter.error(lines.join('\n'), [...diagnostics.hints, follow].join('\n'));
  return { code: ExitCode.Failed, output };
}
