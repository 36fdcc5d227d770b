import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext, Environment } from '../context.js';
import { type ExitCode, UserError, errorMessage } from '../errors.js';
import { STEP } from '../pipeline/steps/context.js';
import type { Watch } from '../records/diagnose.js';
import { MAX_PARTITION_KEY_CHARS } from '../records/put-records.js';
import { sendTestRecords, type RoundTripTarget } from '../records/round-trip.js';
import type { StreamRef } from '../records/stream.js';
import { checkPayloadSize } from '../records/test-records.js';
import { connectAccount, grantCreatedAt, requireStepOutput, resolveDeployment, resolveDeploymentName, stepOutput } from './deployment.js';
import { parseDuration } from './durations.js';
import { suggestCommand } from './hints.js';

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

const flagValue = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The stream to write to and, with --verify, the function to watch. Flags win over the state file.
 * When flags name everything and --name is not given, no state file is read at all.
 */
async function resolveTarget(ctx: CommandContext, options: Record<string, unknown>, verify: boolean): Promise<RoundTripTarget> {
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
    return { producer, suggest: suggestCommand(ctx.options, undefined), stream: { name: streamFlag }, watch };
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
    if (state) return requireStepOutput(ctx, state, step, key);
    throw new UserError(`Deployment "${resolved.name}" has no state file (${resolved.stateFile}).`, withoutState);
  };

  const recordedStream = stepOutput(state, STEP.stream, 'streamName');
  const streamName = recorded(streamFlag, STEP.stream, 'streamName');
  // The recorded ARN, mapping and grant belong to the recorded stream and function only.
  const sameStream = streamName === recordedStream;
  const stream: StreamRef = { name: streamName, arn: sameStream ? stepOutput(state, STEP.stream, 'streamArn') : undefined };
  let watch: Watch | undefined;
  if (resolved.consumer) {
    const recordedFunction = stepOutput(state, STEP.esm, 'functionName') ?? stepOutput(state, STEP.function, 'functionName');
    const functionName = functionFlag ?? recordedFunction ?? recorded(undefined, STEP.function, 'functionName');
    const recordedMapping = sameStream && functionName === recordedFunction;
    watch = {
      consumer: resolved.consumer,
      functionName,
      mappingUuid: recordedMapping ? stepOutput(state, STEP.esm, 'uuid') : undefined,
      grantCreatedAt: recordedMapping ? grantCreatedAt(state) : undefined,
      deploymentMapping: recordedMapping || !recordedFunction || !recordedStream ? undefined : { functionName: recordedFunction, streamName: recordedStream },
    };
  }
  return { deployment: resolved.name, suggest: suggestCommand(ctx.options, resolved.name), producer: resolved.producer, stream, watch };
}

export async function runSendTestRecord(ctx: CommandContext, options: Record<string, unknown>): Promise<ExitCode> {
  // Everything that can be wrong with the flags is checked before any account is contacted.
  const count = typeof options.count === 'number' ? options.count : 1;
  const verify = options.verify === true;
  const timeoutMs = parseDuration(typeof options.timeout === 'string' ? options.timeout : '120s', '--timeout');
  const payload = await readPayload(options, ctx.environment);
  const partitionKey = partitionKeyOf(options);
  if (payload) checkPayloadSize(payload, partitionKey);

  const target = await resolveTarget(ctx, options, verify);
  const { clock, interrupt } = ctx.environment;
  const { code, output } = await sendTestRecords({ clock, interrupt, reporter: ctx.reporter }, target, { count, payload, partitionKey, timeoutMs });
  ctx.reporter.result(output);
  return code;
}
