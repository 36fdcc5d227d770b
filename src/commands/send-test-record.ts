import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AccountSession } from '../aws/session.js';
import type { CommandContext, Environment } from '../context.js';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { functionLogGroup } from '../logs/events.js';
import { STEP } from '../pipeline/steps/context.js';
import { diagnose, type Watch } from '../records/diagnose.js';
import { MAX_PARTITION_KEY_CHARS, putRecords, sendFailureHint } from '../records/put-records.js';
import { checkStreamWritable, type StreamRef } from '../records/stream.js';
import { buildRecords, checkPayloadSize } from '../records/test-records.js';
import { latencySpread, logSearchStart, verifyDelivery } from '../records/verify.js';
import { formatDuration } from '../render/types.js';
import { connectAccount, requireStepOutput, resolveDeployment, resolveDeploymentName, stepOutput } from './deployment.js';
import { parseDuration } from './durations.js';

/** Lines printed per list before "... and N more". */
const MAX_LINES = 50;

/** What the command works on: from the deployment's state file, from flags, or both. */
interface Target {
  /** The deployment, when one was named or found; undefined when every value came from flags. */
  deployment?: string | undefined;
  producer: AccountSession;
  stream: StreamRef;
  watch?: Watch | undefined;
}

async function readPayload(options: Record<string, unknown>, environment: Pick<Environment, 'cwd' | 'stdin'>): Promise<Uint8Array | undefined> {
  const data = typeof options.data === 'string' ? options.data : undefined;
  const file = typeof options.file === 'string' ? options.file : undefined;
  if (data !== undefined && file !== undefined) {
    throw new UserError('--data and --file both give the payload.', 'Use one of them.');
  }
  if (data !== undefined) return new TextEncoder().encode(data);
  if (file === undefined) return undefined;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of environment.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return new Uint8Array(Buffer.concat(chunks));
    }
    return new Uint8Array(await readFile(path.resolve(environment.cwd, file)));
  } catch (error) {
    throw new UserError(`Cannot read --file ${file}: ${errorMessage(error)}`, 'Check the path, or use --file - to read from stdin.');
  }
}

function partitionKeyOf(options: Record<string, unknown>): string | undefined {
  if (typeof options.partitionKey !== 'string') return undefined;
  const key = options.partitionKey;
  if (key.length < 1 || key.length > MAX_PARTITION_KEY_CHARS) {
    throw new UserError(`--partition-key must be 1 to ${MAX_PARTITION_KEY_CHARS} characters long (it is ${key.length}).`);
  }
  return key;
}

function limitLines<T>(items: readonly T[], render: (item: T) => string): string[] {
  const lines = items.slice(0, MAX_LINES).map(render);
  if (items.length > MAX_LINES) lines.push(`  … and ${items.length - MAX_LINES} more (--json lists them all)`);
  return lines;
}

const flagValue = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The stream to write to and, with --verify, the function to watch. Flags win over the state file.
 * When flags name everything and --name is not given, no state file is read at all.
 */
async function resolveTarget(ctx: CommandContext, options: Record<string, unknown>, verify: boolean): Promise<Target> {
  const streamFlag = flagValue(options.streamName);
  const functionFlag = flagValue(options.functionName);
  const { producerProfile, consumerProfile, name } = ctx.options;
  const missing = [
    ...(producerProfile ? [] : ['--producer-profile']),
    ...(streamFlag ? [] : ['--stream-name']),
    ...(verify && !consumerProfile ? ['--consumer-profile'] : []),
    ...(verify && !functionFlag ? ['--function-name'] : []),
  ];

  if (missing.length === 0 && !name && streamFlag) {
    const producer = await connectAccount(ctx, 'producer');
    const watch = verify && functionFlag ? { consumer: await connectAccount(ctx, 'consumer'), functionName: functionFlag } : undefined;
    return { producer, stream: { name: streamFlag }, watch };
  }

  const withoutState = `Without a deployment, pass ${missing.join(', ')} (and --region if the profiles name none).`;
  if (!name) {
    try {
      await resolveDeploymentName(ctx);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      throw new UserError(error.message, [error.hint, withoutState].filter(Boolean).join('\n'));
    }
  }
  // With --name, a missing state file is fine when the flags give every value.
  const resolveOptions = { allowMissingState: missing.length === 0 };
  const resolved = verify ? await resolveDeployment(ctx, ['producer', 'consumer'], resolveOptions) : await resolveDeployment(ctx, ['producer'], resolveOptions);
  const { state } = resolved;
  const recorded = (flag: string | undefined, step: string, key: string): string => {
    if (flag) return flag;
    if (state) return requireStepOutput(state, step, key);
    throw new UserError(`Deployment "${resolved.name}" has no state file (${resolved.stateFile}).`, withoutState);
  };

  const recordedStream = stepOutput(state, STEP.stream, 'streamName');
  const streamName = recorded(streamFlag, STEP.stream, 'streamName');
  // The recorded ARN and mapping belong to the recorded stream and function only.
  const sameStream = streamName === recordedStream;
  const stream: StreamRef = { name: streamName, arn: sameStream ? stepOutput(state, STEP.stream, 'streamArn') : undefined };
  let watch: Watch | undefined;
  if (resolved.consumer) {
    const recordedFunction = stepOutput(state, STEP.esm, 'functionName') ?? stepOutput(state, STEP.function, 'functionName');
    const functionName = functionFlag ?? recordedFunction ?? recorded(undefined, STEP.function, 'functionName');
    const mappingUuid = sameStream && functionName === recordedFunction ? stepOutput(state, STEP.esm, 'uuid') : undefined;
    watch = { consumer: resolved.consumer, functionName, mappingUuid };
  }
  return { deployment: resolved.name, producer: resolved.producer, stream, watch };
}

export async function runSendTestRecord(ctx: CommandContext, options: Record<string, unknown>): Promise<ExitCode> {
  // Everything that can be wrong with the flags is checked before any account is contacted.
  const count = typeof options.count === 'number' ? options.count : 1;
  const verify = options.verify === true;
  const timeoutMs = parseDuration(typeof options.timeout === 'string' ? options.timeout : '120s', '--timeout');
  const payload = await readPayload(options, ctx.environment);
  const fixedKey = partitionKeyOf(options);
  if (payload) checkPayloadSize(payload, fixedKey);

  const target = await resolveTarget(ctx, options, verify);
  const { deployment, producer, stream } = target;
  const { clock, interrupt } = ctx.environment;
  const streamArn = await checkStreamWritable(clock, stream, producer, deployment);

  const records = buildRecords({
    count,
    payload,
    partitionKey: fixedKey,
    origin: deployment ? `deployment ${deployment}` : `stream ${stream.name}`,
    producerAccountId: producer.accountId,
    now: clock.now(),
  });
  const result = await putRecords({ clock, reporter: ctx.reporter }, producer.clients.kinesis, stream, records);

  if (result.sent.length > 0) {
    ctx.reporter.info(
      `Sent ${result.sent.length} record(s) to stream ${stream.name} in account ${producer.accountId} (${producer.region}):`,
    );
    for (const line of limitLines(result.sent, (r) => `  #${r.index + 1} shard ${r.shardId} sequence ${r.sequenceNumber}${r.id ? ` id ${r.id}` : ''}`)) {
      ctx.reporter.info(line);
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
    ctx.reporter.error(
      `${result.failed.length} of ${count} record(s) could not be sent, even after retrying:\n` +
        limitLines(result.failed, (f) => `  #${f.index + 1} partition key ${f.partitionKey}: ${f.errorCode}: ${f.errorMessage}`).join('\n'),
      sendFailureHint(result.failed),
    );
    ctx.reporter.result(output);
    return ExitCode.Failed;
  }

  const { watch } = target;
  if (!watch) {
    ctx.reporter.result(output);
    return ExitCode.Success;
  }

  const { consumer, functionName } = watch;
  const group = functionLogGroup(functionName, consumer);
  ctx.reporter.info(`Waiting up to ${formatDuration(timeoutMs)} for ${result.sent.length === 1 ? 'the record' : `${result.sent.length} records`} to appear in ${group.name}…`);
  const outcome = await verifyDelivery({ clock, interrupt, reporter: ctx.reporter }, consumer.clients.logs, group.name, result.sent, timeoutMs);
  const verifyOutput: Record<string, unknown> = {
    ok: outcome.ok,
    logGroup: group.name,
    latencies: outcome.latencies,
    missing: outcome.missing.map((r) => ({ index: r.index, sequenceNumber: r.sequenceNumber })),
  };
  output.verify = verifyOutput;

  if (outcome.latencies.length > 0) {
    ctx.reporter.info(`Arrived in ${functionName} (end-to-end latency, send to log line):`);
    for (const line of limitLines(outcome.latencies, (l) => `  #${l.index + 1} sequence ${l.sequenceNumber}: ${formatDuration(l.latencyMs)}`)) {
      ctx.reporter.info(line);
    }
    if (outcome.latencies.length > 1) {
      const { min, median, max } = latencySpread(outcome.latencies);
      ctx.reporter.info(`  min ${formatDuration(min)}, median ${formatDuration(median)}, max ${formatDuration(max)}`);
    }
  }
  if (outcome.ok) {
    ctx.reporter.info(`Verified: all ${result.sent.length} record(s) reached the consumer function.`);
    ctx.reporter.result(output);
    return ExitCode.Success;
  }
  if (outcome.interrupted) {
    ctx.reporter.warn(`Stopped waiting: ${outcome.missing.length} record(s) not seen yet.`);
    ctx.reporter.result(output);
    return ExitCode.Interrupted;
  }

  const diagnostics = await diagnose(
    { clock, reporter: ctx.reporter },
    { deployment, streamName: stream.name, streamArn, watch, logGroupName: group.name, from: logSearchStart(result.sent) },
    outcome,
  );
  verifyOutput.diagnostics = diagnostics;
  const esm = diagnostics.eventSourceMapping;
  const lines = [
    `${outcome.missing.length} of ${result.sent.length} record(s) did not appear in ${group.name} within ${formatDuration(timeoutMs)}.`,
    ...(esm
      ? [
          `  Event source mapping ${esm.uuid}: ${esm.error ?? `State ${esm.state ?? '?'}`}`,
          ...(esm.stateTransitionReason ? [`  StateTransitionReason: ${esm.stateTransitionReason}`] : []),
          ...(esm.lastProcessingResult ? [`  LastProcessingResult: ${esm.lastProcessingResult}`] : []),
        ]
      : []),
    ...(diagnostics.functionErrors.length > 0
      ? [`  Function errors in ${group.name}:`, ...diagnostics.functionErrors.slice(0, 10).map((l) => `    ${l}`)]
      : [`  No function errors were logged in ${group.name}.`]),
  ];
  const follow = deployment
    ? `Follow the function's logs with \`kds-xacct tail-logs --name ${deployment}\`, and check the pipeline with \`kds-xacct status --name ${deployment}\`.`
    : `Follow the function's logs with \`kds-xacct tail-logs --consumer-profile ${consumer.profile} --region ${consumer.region} --function ${functionName}\`.`;
  ctx.reporter.error(lines.join('\n'), [...diagnostics.hints, follow].join('\n'));
  ctx.reporter.result(output);
  return ExitCode.Failed;
}
