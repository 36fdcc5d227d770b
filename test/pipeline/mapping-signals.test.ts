import { describe, expect, it } from 'vitest';
import { GRANT_PROPAGATION_MS, readPipelineSignals, type SignalInput } from '../../src/pipeline/mapping-signals.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const STREAM = 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream';
const CONSUMER = `${STREAM}/consumer/orders-222222222222-efo:1767225626`;
const ROLE = 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer';
const UUID = '9eb492bd-ee2e-49c3-ac20-e9fb56cc8da9';
const KMS_DENIED = `PROBLEM: KMSAccessDeniedException: User ${ROLE} is not authorized to decrypt records in stream ${STREAM}.`;
const commands = {
  repair: 'kds-xacct setup --name orders',
  tailLogs: 'kds-xacct tail-logs --name orders --since 1h --no-follow',
  enableMapping: (uuid: string) => `aws lambda update-event-source-mapping --uuid ${uuid} --enabled --profile analytics --region eu-west-1`,
};

const healthyMapping = { UUID, State: 'Enabled', StateTransitionReason: 'User action', LastProcessingResult: 'OK' };
const healthyFunction = { FunctionName: 'orders-consumer', State: 'Active' as const, LastUpdateStatus: 'Successful' as const };

function signals(input: Partial<SignalInput>) {
  return readPipelineSignals({ mapping: healthyMapping, function: healthyFunction, now: NOW, commands, ...input });
}

describe('readPipelineSignals', () => {
  it('is ok when the mapping is Enabled and has processed records or none yet, and the function is Active', () => {
    expect(signals({})).toEqual({ status: 'ok', signals: [] });
    expect(signals({ mapping: { ...healthyMapping, LastProcessingResult: 'No records processed' } })).toEqual({ status: 'ok', signals: [] });
    expect(signals({ mapping: undefined, function: undefined })).toEqual({ status: 'ok', signals: [] });
  });

  it('reads "Cannot access stream" as the stream policy or the role policy, with the repair command', () => {
    const result = `PROBLEM: Cannot access stream ${STREAM}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.`;
    const verdict = signals({ mapping: { ...healthyMapping, LastProcessingResult: result } });
    expect(verdict.status).toBe('problem');
    expect(verdict.signals).toEqual([
      {
        source: 'mapping',
        cause: 'stream-access',
        severity: 'problem',
        diagnosis: `event source mapping ${UUID} reports ${result}`,
        fix: 'the role needs the Kinesis read actions on the stream from both its own policy and the stream policy; run `kds-xacct setup --name orders` again to repair, and if that changes nothing look for a Deny statement or an SCP',
      },
    ]);
  });

  it('reads "Cannot access stream consumer" as the consumer policy', () => {
    const result = `PROBLEM: Cannot access stream consumer ${CONSUMER}. Please ensure the role can perform the DescribeStreamConsumer and SubscribeToShard Actions on your stream consumer in IAM.`;
    const [signal] = signals({ mapping: { ...healthyMapping, LastProcessingResult: result } }).signals;
    expect(signal).toMatchObject({ cause: 'consumer-access', severity: 'problem' });
    expect(signal!.fix).toContain('the consumer policy');
  });

  it('reads a consumer that is not ACTIVE yet as pending', () => {
    const result = `PROBLEM: Stream consumer ${CONSUMER} is not in ACTIVE status.`;
    expect(signals({ mapping: { ...healthyMapping, LastProcessingResult: result } })).toMatchObject({ status: 'pending', signals: [{ cause: 'consumer-not-active' }] });
  });

  describe('a KMS access problem', () => {
    const mapping = { ...healthyMapping, LastProcessingResult: KMS_DENIED };

    it('is pending within five minutes of the grant: the grant may not be in effect yet, and Lambda keeps the records', () => {
      const verdict = signals({ mapping, grantCreatedAt: new Date(NOW - 90_000) });
      expect(verdict).toMatchObject({ status: 'pending', signals: [{ source: 'mapping', cause: 'kms-grant-propagating', severity: 'pending' }] });
      expect(verdict.signals[0]!.diagnosis).toBe(`the KMS grant is not yet in effect (created 90 s ago): event source mapping ${UUID} reports ${KMS_DENIED}`);
      expect(verdict.signals[0]!.fix).toBe(
        "wait up to 210 s more: grants usually work everywhere within 5 minutes (KMS CreateGrant API reference); Lambda keeps the records and retries them for up to the mapping's maximum record age, then discards them and reports them to its on-failure destination, if it has one",
      );
    });

    it("says what becomes of the records from the mapping's own settings: retried up to its maximum record age, then reported or dropped", () => {
      const fix = (settings: object) => signals({ mapping: { ...mapping, ...settings }, grantCreatedAt: new Date(NOW - 90_000) }).signals[0]!.fix;
      expect(fix({ MaximumRecordAgeInSeconds: 3600, DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:eu-west-1:222222222222:q' } } })).toContain(
        "Lambda keeps the records and retries them for up to the mapping's maximum record age (1 h), then discards them and reports them to arn:aws:sqs:eu-west-1:222222222222:q",
      );
      expect(fix({ MaximumRecordAgeInSeconds: -1, DestinationConfig: { OnFailure: {} } })).toContain(
        'Lambda keeps the records and retries them for as long as the stream keeps them, then discards them, and with no on-failure destination nothing records which',
      );
    });

    it('is a problem from five minutes after the grant on, or when no grant time is known', () => {
      for (const grantCreatedAt of [NOW - GRANT_PROPAGATION_MS, NOW - 3_600_000, undefined]) {
        const verdict = signals({ mapping, grantCreatedAt });
        expect(verdict, String(grantCreatedAt)).toMatchObject({ status: 'problem', signals: [{ cause: 'kms-access', severity: 'problem' }] });
        expect(verdict.signals[0]!.diagnosis).toBe(`the consumer role cannot decrypt the stream's records: event source mapping ${UUID} reports ${KMS_DENIED}`);
        expect(verdict.signals[0]!.fix).toContain('kms:Decrypt');
      }
    });

    it('counts a grant stamped a little after now (clocks differ) as just created', () => {
      expect(signals({ mapping, grantCreatedAt: NOW + 2_000 }).signals[0]).toMatchObject({ cause: 'kms-grant-propagating' });
    });

    it('recognises the Kinesis wording of the denial however Lambda frames it', () => {
      const reworded = { ...healthyMapping, LastProcessingResult: `PROBLEM: Cannot access stream ${STREAM}: records are encrypted and no grant allows it. Please ensure the role can perform kms:Decrypt on the stream's KMS key.` };
      expect(signals({ mapping: reworded }).signals[0]).toMatchObject({ cause: 'kms-access' });
    });
  });

  it('sends a failed function call to the function logs', () => {
    const [signal] = signals({ mapping: { ...healthyMapping, LastProcessingResult: 'PROBLEM: Function call failed' } }).signals;
    expect(signal).toMatchObject({ cause: 'function-error', severity: 'problem', diagnosis: `the function failed on its last batch: event source mapping ${UUID} reports PROBLEM: Function call failed` });
    expect(signal!.fix).toContain('`kds-xacct tail-logs --name orders --since 1h --no-follow`');
  });

  it('passes any other PROBLEM on as it is', () => {
    const [signal] = signals({ mapping: { ...healthyMapping, LastProcessingResult: 'PROBLEM: Lambda internal error. Please contact Lambda customer support.' } }).signals;
    expect(signal).toMatchObject({ cause: 'processing-problem', severity: 'problem', diagnosis: `event source mapping ${UUID} reports PROBLEM: Lambda internal error. Please contact Lambda customer support.` });
  });

  it('reads a mapping that is being created, enabled or updated as pending', () => {
    for (const State of ['Creating', 'Enabling', 'Updating']) {
      expect(signals({ mapping: { ...healthyMapping, State } }), State).toMatchObject({ status: 'pending', signals: [{ cause: 'mapping-transition', diagnosis: `event source mapping ${UUID} is ${State}` }] });
    }
  });

  it('reads a Disabled mapping as a problem, with the command that enables it', () => {
    const byUser = signals({ mapping: { ...healthyMapping, State: 'Disabled', StateTransitionReason: 'User action' } });
    expect(byUser.signals).toEqual([
      {
        source: 'mapping',
        cause: 'mapping-disabled',
        severity: 'problem',
        diagnosis: `event source mapping ${UUID} is Disabled (User action): the function receives nothing`,
        fix: `run \`kds-xacct setup --name orders\` again to repair, or aws lambda update-event-source-mapping --uuid ${UUID} --enabled --profile analytics --region eu-west-1`,
      },
    ]);
    // Lambda disables a mapping itself for a reason it names: that comes first.
    const byLambda = signals({ mapping: { ...healthyMapping, State: 'Disabled', StateTransitionReason: 'PROBLEM: Function does not exist' } });
    expect(byLambda.signals[0]!.fix).toMatch(/^fix what the reason names, then aws lambda update-event-source-mapping/);
  });

  it('reads a mapping being deleted as a problem', () => {
    expect(signals({ mapping: { ...healthyMapping, State: 'Deleting' } }).signals).toEqual([
      expect.objectContaining({ cause: 'mapping-deleting', severity: 'problem', fix: 'once it is gone, run `kds-xacct setup --name orders` again to repair' }),
    ]);
  });

  it("reads the function's state and last update", () => {
    expect(signals({ function: { ...healthyFunction, State: 'Pending' } })).toMatchObject({ status: 'pending', signals: [{ source: 'function', cause: 'function-not-ready' }] });
    expect(signals({ function: { ...healthyFunction, State: 'Inactive' } })).toMatchObject({ status: 'pending', signals: [{ cause: 'function-not-ready', diagnosis: 'function orders-consumer is Inactive (idle for a long time)' }] });
    expect(signals({ function: { ...healthyFunction, LastUpdateStatus: 'InProgress' } })).toMatchObject({ status: 'pending', signals: [{ cause: 'function-updating' }] });
    expect(signals({ function: { ...healthyFunction, State: 'Failed', StateReasonCode: 'InvalidZipFileException', StateReason: 'Could not unzip uploaded file.' } }).signals).toEqual([
      {
        source: 'function',
        cause: 'function-failed',
        severity: 'problem',
        diagnosis: 'function orders-consumer is Failed: InvalidZipFileException: Could not unzip uploaded file.',
        fix: 'deploy the function again: run `kds-xacct setup --name orders` again to repair',
      },
    ]);
    expect(signals({ function: { ...healthyFunction, LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'The role cannot be assumed.' } }).signals[0]).toMatchObject({
      cause: 'function-update-failed',
      diagnosis: 'the last update of function orders-consumer failed: The role cannot be assumed.',
    });
  });

  it('puts problems before what is only pending', () => {
    const verdict = signals({ mapping: { ...healthyMapping, State: 'Updating' }, function: { ...healthyFunction, State: 'Failed' } });
    expect(verdict.status).toBe('problem');
    expect(verdict.signals.map((s) => s.cause)).toEqual(['function-failed', 'mapping-transition']);
  });

  it('names only the commands it is given in its fixes: the command layer builds them to work when pasted', () => {
    const given = {
      repair: "kds-xacct setup --name orders --sandbox --state-dir 'my state'",
      tailLogs: "kds-xacct tail-logs --name orders --sandbox --state-dir 'my state' --since 1h --no-follow",
      enableMapping: (uuid: string) => `aws lambda update-event-source-mapping --uuid ${uuid} --enabled --profile analytics --region eu-west-1`,
    };
    const situations: Array<Partial<SignalInput>> = [
      { mapping: { ...healthyMapping, State: 'Disabled', StateTransitionReason: 'User action' } },
      { mapping: { ...healthyMapping, State: 'Deleting' } },
      ...[KMS_DENIED, `PROBLEM: Cannot access stream ${STREAM}.`, `PROBLEM: Cannot access stream consumer ${CONSUMER}.`, `PROBLEM: Stream consumer ${CONSUMER} is not in ACTIVE status.`, 'PROBLEM: Function call failed', 'PROBLEM: something else'].map(
        (LastProcessingResult) => ({ mapping: { ...healthyMapping, LastProcessingResult } }),
      ),
      { function: { ...healthyFunction, State: 'Failed', StateReason: 'The role cannot be assumed.' } },
      { function: { ...healthyFunction, LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'The role cannot be assumed.' } },
    ];
    const fixes = situations.flatMap((input) => signals({ ...input, commands: given }).signals.map((s) => s.fix));
    const quoted = [given.repair, given.tailLogs].map((c) => `\`${c}\``);
    for (const command of quoted) expect(fixes.some((f) => f.includes(command))).toBe(true);
    // No other kds-xacct command, quoted or not.
    for (const fix of fixes) expect(quoted.reduce((rest, command) => rest.replaceAll(command, ''), fix)).not.toContain('kds-xacct');
  });
});
