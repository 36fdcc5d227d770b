import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandContext, Environment } from '../context.js';
import type { DeploymentState } from '../deployment/store.js';
import { type ExitCode, UserError, errorMessage } from '../errors.js';
import type { Watch } from '../records/diagnose.js';
import { MAX_PARTITION_KEY_CHARS } from '../records/put-records.js';
import { sendTestRecords, type RoundTripTarget } from '../records/round-trip.js';
import type { StreamRef } from '../records/stream.js';
import { checkPayloadSize } from '../records/test-records.js';
import { connectAccounts, deploymentMapping, deploymentStream, grantCreatedAt, mappedFunction, openDeployment, requireFunction, requireStream, resolveDeploymentName } from '../deployment/open.js';
import { parseDuration } from './durations.js';
import { suggestCommand } from './hints.js';
import type { SendTestRecordFlags } from './flags.js';

async function readPayload(flags: SendTestRecordFlags, environment: Pick<Environment, 'cwd' | 'stdin'>): Promise<Uint8Array | undefined> {
  const { data, file } = flags;
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

function partitionKeyOf(flags: SendTestRecordFlags): string | undefined {
  const key = flags.partitionKey;
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > MAX_PARTITION_KEY_CHARS) {
    throw new UserError(`--partition-key must be 1 to ${MAX_PARTITION_KEY_CHARS} characters long (it is ${key.length}).`);
  }
  return key;
}

const flagValue = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

/**
 * The stream to write to and, with --verify, the function to watch. Flags win over the state file.
 * When flags name everything and --name is not given, no state file is read at all.
 */
async function resolveTarget(ctx: CommandContext, flags: SendTestRecordFlags, verify: boolean): Promise<RoundTripTarget> {
  const streamFlag = flagValue(flags.streamName);
  const functionFlag = flagValue(flags.functionName);
  const { producerProfile, consumerProfile, name } = ctx.options;
  const missing = [
    ...(producerProfile ? [] : ['--producer-profile']),
    ...(streamFlag ? [] : ['--stream-name']),
    ...(verify && !consumerProfile ? ['--consumer-profile'] : []),
    ...(verify && !functionFlag ? ['--function-name'] : []),
  ];

  if (missing.length === 0 && !name && streamFlag) {
    if (verify && functionFlag) {
      const { producer, consumer } = await connectAccounts(ctx, { accounts: { producer: {}, consumer: {} } });
      return { producer, suggest: suggestCommand(ctx.options, undefined), stream: { name: streamFlag }, watch: { consumer, functionName: functionFlag } };
    }
    const { producer } = await connectAccounts(ctx, { accounts: { producer: {} } });
    return { producer, suggest: suggestCommand(ctx.options, undefined), stream: { name: streamFlag } };
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
  const resolved = verify ? await openDeployment(ctx, ['producer', 'consumer'], resolveOptions) : await openDeployment(ctx, ['producer'], resolveOptions);
  const { state } = resolved;
  const fromState = <T>(read: (state: DeploymentState) => T): T => {
    if (state) return read(state);
    throw new UserError(`Deployment "${resolved.name}" has no state file (${resolved.stateFile}).`, withoutState);
  };

  const recordedStream = deploymentStream(state);
  const streamName = streamFlag ?? fromState((s) => requireStream(ctx, s).name);
  // The recorded ARN, mapping and grant belong to the recorded stream and function only.
  const sameStream = streamName === recordedStream?.name;
  const stream: StreamRef = { name: streamName, arn: sameStream ? recordedStream?.arn : undefined };
  let watch: Watch | undefined;
  if (resolved.consumer) {
    const recordedFunction = mappedFunction(state);
    const functionName = functionFlag ?? recordedFunction ?? fromState((s) => requireFunction(ctx, s));
    const recordedMapping = sameStream && functionName === recordedFunction;
    watch = {
      consumer: resolved.consumer,
      functionName,
      mappingUuid: recordedMapping ? deploymentMapping(state) : undefined,
      grantCreatedAt: recordedMapping ? grantCreatedAt(state) : undefined,
      deploymentMapping: recordedMapping || !recordedFunction || !recordedStream ? undefined : { functionName: recordedFunction, streamName: recordedStream.name },
    };
  }
  return { deployment: resolved.name, suggest: suggestCommand(ctx.options, resolved.name), producer: resolved.producer, stream, watch };
}

export async function runSendTestRecord(ctx: CommandContext, flags: SendTestRecordFlags): Promise<ExitCode> {
  // Everything that can be wrong with the flags is checked before any account is contacted.
  const { count } = flags;
  const verify = flags.verify === true;
  const timeoutMs = parseDuration(flags.timeout, '--timeout');
  const payload = await readPayload(flags, ctx.environment);
  const partitionKey = partitionKeyOf(flags);
  if (payload) checkPayloadSize(payload, partitionKey);

  const target = await resolveTarget(ctx, flags, verify);
  const { clock, interrupt } = ctx.environment;
  const { code, output } = await sendTestRecords({ clock, interrupt, reporter: ctx.reporter }, target, { count, payload, partitionKey, timeoutMs });
  ctx.reporter.result(output);
  return code;
}
