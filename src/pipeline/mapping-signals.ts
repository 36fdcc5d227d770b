/**
 * What AWS itself says about whether the pipeline works: the event source mapping's State,
 * StateTransitionReason and LastProcessingResult, and the function's State and LastUpdateStatus.
 * Lambda evaluates every policy, grant, SCP and permission boundary when it reads the stream, so
 * its verdict is the ground truth that a check of our own statements cannot be.
 *
 * Pure: it reads the two API outputs (and the KMS grant's creation time) and returns a diagnosis.
 */
import type { EventSourceMappingConfiguration, FunctionConfiguration } from '@aws-sdk/client-lambda';

/** The parts of GetEventSourceMapping (or a ListEventSourceMappings entry) that carry AWS's verdict. */
export type MappingSignals = Pick<EventSourceMappingConfiguration, 'UUID' | 'State' | 'StateTransitionReason' | 'LastProcessingResult'> &
  Partial<Pick<EventSourceMappingConfiguration, 'MaximumRecordAgeInSeconds' | 'DestinationConfig'>>;

/** The parts of GetFunctionConfiguration that say whether the function can run. */
export type FunctionSignals = Pick<
  FunctionConfiguration,
  'FunctionName' | 'State' | 'StateReason' | 'StateReasonCode' | 'LastUpdateStatus' | 'LastUpdateStatusReason' | 'LastUpdateStatusReasonCode'
>;

/**
 * A KMS grant is usually in effect everywhere within five minutes (KMS API reference, CreateGrant:
 * "usually less than five minutes"), not always; and Lambda has no grant token to pass meanwhile.
 */
export const GRANT_PROPAGATION_MS = 5 * 60_000;

export interface SignalInput {
  /** Absent when the mapping could not be read; the caller reports that. */
  mapping?: MappingSignals | undefined;
  function?: FunctionSignals | undefined;
  /** When the consumer role's KMS grant was created (ListGrants CreationDate), if known. */
  grantCreatedAt?: Date | number | undefined;
  /** The mapping is the user's, adopted as it is: setup never enables it, so a fix cannot be a re-run. */
  mappingAdopted?: boolean;
  /** Now, in epoch milliseconds, from the caller's clock. */
  now: number;
  /** Commands quoted in fixes, built by the command layer so that they work when pasted. */
  commands: {
    /** The setup command line that rewrites this deployment's policies, grant and mapping. */
    repair: string;
    /** The command that shows the function's recent errors. */
    tailLogs: string;
    /** The AWS CLI command that enables the mapping, in the consumer account. */
    enableMapping(uuid: string): string;
  };
}

/** Why the pipeline is not (yet) delivering, as far as AWS's signals tell. */
export type SignalCause =
  /** The mapping is Creating, Enabling or Updating. */
  | 'mapping-transition'
  | 'mapping-disabled'
  | 'mapping-deleting'
  /** The role may not read the stream (stream policy, role policy, or a Deny elsewhere). */
  | 'stream-access'
  /** The role may not use the EFO consumer (consumer policy, role policy, or a Deny elsewhere). */
  | 'consumer-access'
  /** The EFO consumer is not ACTIVE (still registering, or being deregistered). */
  | 'consumer-not-active'
  /** Kinesis refused to decrypt the records for the role: grant, key policy or role policy. */
  | 'kms-access'
  /** The same, within the time a new grant may take to work: expected, and retried by Lambda. */
  | 'kms-grant-propagating'
  /** The function ran and failed (its own code, timeout, memory). */
  | 'function-error'
  /** Any other PROBLEM Lambda reports. */
  | 'processing-problem'
  /** The function is Pending or Inactive: it becomes Active by itself. */
  | 'function-not-ready'
  | 'function-failed'
  /** A function update is in progress. */
  | 'function-updating'
  | 'function-update-failed';

export interface Signal {
  source: 'mapping' | 'function';
  cause: SignalCause;
  /** `pending`: expected to clear by itself while Lambda retries the records; `problem`: needs a fix. */
  severity: 'pending' | 'problem';
  /** One line: what AWS reports and what it means. */
  diagnosis: string;
  /** One line: what to do about it. */
  fix: string;
}

export type PipelineVerdict =
  | { status: 'ok'; signals: [] }
  /** Only pending signals: wait, nothing is wrong yet. */
  | { status: 'pending'; signals: Signal[] }
  /** At least one problem; problems come first. */
  | { status: 'problem'; signals: Signal[] };

// Lambda reports a failed read or invocation as "PROBLEM: <text>". Its access texts ("Cannot access
// stream …", "Cannot access stream consumer …", "Function call failed") appear in the Lambda developer
// guide and public reports; its wording for a KMS failure is not documented, so that pattern is loose: it
// matches Kinesis's own KMSAccessDeniedException text ("… is not authorized to decrypt records in stream …")
// however Lambda frames it. It reads the words of the error and never the names in it: a read denial names
// the role's session and the stream ("User: …/kds-xacct-kms-audit-consumer/… on resource: …/kms-audit").
const KMS_PROBLEM = /\bKMS[A-Za-z]*Exception\b|\bKMS (?:Exception|Message)\b|not authorized to decrypt|\bkms:(?:Decrypt|GenerateDataKey)\b|\bdecrypt(?:ed|ion)?\b/i;
const CONSUMER_NOT_ACTIVE = /not in ACTIVE status/i;
const CONSUMER_ACCESS = /Cannot access stream consumer|SubscribeToShard|DescribeStreamConsumer/i;
const STREAM_ACCESS = /Cannot access stream|not authorized|AccessDenied/i;
const FUNCTION_CALL_FAILED = /Function call failed/i;

/** Reads AWS's own signals about the mapping and the function; see the module comment. */
export function readPipelineSignals(input: SignalInput): PipelineVerdict {
  const signals = [...mappingSignals(input), ...functionSignals(input)];
  const problems = signals.filter((s) => s.severity === 'problem');
  if (problems.length > 0) return { status: 'problem', signals: [...problems, ...signals.filter((s) => s.severity === 'pending')] };
  if (signals.length > 0) return { status: 'pending', signals };
  return { status: 'ok', signals: [] };
}

function repairWith(input: SignalInput): string {
  return `run \`${input.commands.repair}\` again to repair`;
}

function mappingSignals(input: SignalInput): Signal[] {
  const mapping = input.mapping;
  if (!mapping) return [];
  const signals: Signal[] = [];
  const name = `event source mapping ${mapping.UUID ?? ''}`.replace(/ $/, '');
  const repair = repairWith(input);
  const state = mapping.State;
  const reason = mapping.StateTransitionReason;
  if (state === 'Creating' || state === 'Enabling' || state === 'Updating') {
    signals.push({
      source: 'mapping',
      cause: 'mapping-transition',
      severity: 'pending',
      diagnosis: `${name} is ${state}`,
      fix: 'wait: a mapping can take minutes to start polling, then check again',
    });
  } else if (state === 'Disabled' || state === 'Disabling') {
    // Lambda disables a mapping itself only for a problem it names; a user's change says "User …".
    const byLambda = reason !== undefined && !/user/i.test(reason);
    const enable = input.commands.enableMapping(mapping.UUID ?? '<uuid>');
    signals.push({
      source: 'mapping',
      cause: 'mapping-disabled',
      severity: 'problem',
      diagnosis: `${name} is ${state}${reason ? ` (${reason})` : ''}: the function receives nothing`,
      fix: byLambda ? `fix what the reason names, then ${enable}` : input.mappingAdopted ? `enable it (setup keeps an adopted mapping as it is): ${enable}` : `${repair}, or ${enable}`,
    });
  } else if (state === 'Deleting') {
    signals.push({ source: 'mapping', cause: 'mapping-deleting', severity: 'problem', diagnosis: `${name} is being deleted`, fix: `once it is gone, ${repair}` });
  }
  const result = mapping.LastProcessingResult;
  if (result?.startsWith('PROBLEM')) signals.push(processingProblem(input, name, result));
  return signals;
}

const ageInWords = (seconds: number) =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

/**
 * What becomes of records the mapping cannot read or process: kept and retried only until they pass the
 * mapping's maximum record age, then discarded and reported to its on-failure destination (Lambda developer
 * guide, "Retain discarded batch records for a Kinesis Data Streams event source"); -1 means until the stream
 * drops them. A mapping read from AWS says both; setup passes what it configured.
 */
export function recordsRetried(mapping: Partial<Pick<EventSourceMappingConfiguration, 'MaximumRecordAgeInSeconds' | 'DestinationConfig'>>): string {
  const age = mapping.MaximumRecordAgeInSeconds;
  const forHowLong =
    age === undefined ? "for up to the mapping's maximum record age" : age === -1 ? 'for as long as the stream keeps them' : `for up to the mapping's maximum record age (${ageInWords(age)})`;
  const destination = mapping.DestinationConfig?.OnFailure?.Destination;
  const then = !mapping.DestinationConfig
    ? 'then discards them and reports them to its on-failure destination, if it has one'
    : destination
      ? `then discards them and reports them to ${destination}`
      : 'then discards them, and with no on-failure destination nothing records which';
  return `Lambda keeps the records and retries them ${forHowLong}, ${then}`;
}

/**
 * Whether a LastProcessingResult is Kinesis refusing to decrypt for the role, and if so whether the
 * deployment's grant is young enough that it may simply not work yet.
 */
export function kmsRefusal(
  lastProcessingResult: string | undefined,
  grantCreatedAt: Date | number | undefined,
  now: number,
): { cause: 'kms-grant-propagating'; ageMs: number } | { cause: 'kms-access'; ageMs?: number } | undefined {
  if (!lastProcessingResult?.startsWith('PROBLEM') || !KMS_PROBLEM.test(lastProcessingResult)) return undefined;
  if (grantCreatedAt === undefined) return { cause: 'kms-access' };
  // A grant stamped after `now` was made moments ago by a clock a little ahead of ours.
  const ageMs = Math.max(0, now - new Date(grantCreatedAt).getTime());
  return { cause: ageMs < GRANT_PROPAGATION_MS ? 'kms-grant-propagating' : 'kms-access', ageMs };
}

function processingProblem(input: SignalInput, name: string, result: string): Signal {
  const repair = repairWith(input);
  const reports = `${name} reports ${result}`;
  const base = { source: 'mapping' as const, severity: 'problem' as const, diagnosis: reports };
  const kms = kmsRefusal(result, input.grantCreatedAt, input.now);
  if (kms?.cause === 'kms-grant-propagating') {
    const left = Math.ceil((GRANT_PROPAGATION_MS - kms.ageMs) / 1000);
    return {
      ...base,
      cause: 'kms-grant-propagating',
      severity: 'pending',
      diagnosis: `the KMS grant is not yet in effect (created ${Math.floor(kms.ageMs / 1000)} s ago): ${reports}`,
      fix: `wait up to ${left} s more: grants usually work everywhere within 5 minutes (KMS CreateGrant API reference); ${recordsRetried(input.mapping ?? {})}`,
    };
  }
  if (kms) {
    return {
      ...base,
      cause: 'kms-access',
      diagnosis: `the consumer role cannot decrypt the stream's records: ${reports}`,
      fix: `the role needs kms:Decrypt on the stream's key under the stream's encryption context, from the KMS grant (or the key policy) and from its own policy; ${repair}`,
    };
  }
  if (CONSUMER_NOT_ACTIVE.test(result)) {
    return { ...base, cause: 'consumer-not-active', severity: 'pending', fix: 'wait until the EFO consumer is ACTIVE (a new one takes seconds); if it is being deregistered, ' + repair };
  }
  if (CONSUMER_ACCESS.test(result)) {
    return {
      ...base,
      cause: 'consumer-access',
      fix: `the role needs kinesis:DescribeStreamConsumer and kinesis:SubscribeToShard from both its own policy and the consumer policy; ${repair}, and if that changes nothing look for a Deny statement or an SCP`,
    };
  }
  if (STREAM_ACCESS.test(result)) {
    return {
      ...base,
      cause: 'stream-access',
      fix: `the role needs the Kinesis read actions on the stream from both its own policy and the stream policy; ${repair}, and if that changes nothing look for a Deny statement or an SCP`,
    };
  }
  const logs = `\`${input.commands.tailLogs}\``;
  if (FUNCTION_CALL_FAILED.test(result)) {
    return { ...base, cause: 'function-error', diagnosis: `the function failed on its last batch: ${reports}`, fix: `see its errors with ${logs}; Lambda retries the batch as the mapping's retry settings say` };
  }
  return { ...base, cause: 'processing-problem', fix: `see ${logs}; if it is an access problem, ${repair}` };
}

function functionSignals(input: SignalInput): Signal[] {
  const fn = input.function;
  if (!fn) return [];
  const signals: Signal[] = [];
  const name = `function ${fn.FunctionName ?? ''}`.replace(/ $/, '');
  const redeploy = `deploy the function again: ${repairWith(input)}`;
  const because = (code: string | undefined, text: string | undefined) => (text || code ? `: ${[code, text].filter(Boolean).join(': ')}` : '');
  if (fn.State === 'Pending') {
    signals.push({ source: 'function', cause: 'function-not-ready', severity: 'pending', diagnosis: `${name} is Pending`, fix: 'wait: Lambda makes it Active by itself, usually within a minute' });
  } else if (fn.State === 'Inactive') {
    signals.push({
      source: 'function',
      cause: 'function-not-ready',
      severity: 'pending',
      diagnosis: `${name} is Inactive (idle for a long time)`,
      fix: 'nothing to do: Lambda wakes it on its next invocation, and the mapping retries the batch meanwhile',
    });
  } else if (fn.State === 'Failed') {
    signals.push({ source: 'function', cause: 'function-failed', severity: 'problem', diagnosis: `${name} is Failed${because(fn.StateReasonCode, fn.StateReason)}`, fix: redeploy });
  }
  if (fn.LastUpdateStatus === 'InProgress') {
    signals.push({ source: 'function', cause: 'function-updating', severity: 'pending', diagnosis: `an update of ${name} is in progress`, fix: 'wait a minute, then check again' });
  } else if (fn.LastUpdateStatus === 'Failed') {
    signals.push({
      source: 'function',
      cause: 'function-update-failed',
      severity: 'problem',
      diagnosis: `the last update of ${name} failed${because(fn.LastUpdateStatusReasonCode, fn.LastUpdateStatusReason)}`,
      fix: redeploy,
    });
  }
  return signals;
}
