import { describe, expect, it } from 'vitest';
import { kmsRefusal, readPipelineSignals } from '../../src/pipeline/mapping-signals.js';
import { isServerError, isThrottling } from '../../src/aws/retry.js';
import { roleNotYetAssumable, updateInProgress } from '../../src/pipeline/steps/function.js';
import { accessNotYetVisible, existingMappingUuid } from '../../src/pipeline/steps/mapping.js';
import { principalNotYetVisible } from '../../src/pipeline/steps/shared.js';
import * as texts from '../../src/sandbox/aws-error-texts.js';
import { awsError } from '../../src/sandbox/index.js';

/** Each quoted response as the SDK would throw it: its exception class, code, status and message. */
const thrown = (entry: texts.AwsErrorText) => awsError(entry.service, entry.code, entry.example);

/** What a matcher says of each real response: the ones it must match, and every other one it must not. */
function judge(matcher: (error: unknown) => unknown, mustMatch: readonly texts.AwsErrorText[]) {
  const others = texts.AWS_ERROR_TEXTS.filter((entry) => !mustMatch.includes(entry));
  return {
    matched: mustMatch.filter((entry) => !matcher(thrown(entry))).map((entry) => `missed: ${entry.example}`),
    others: others.filter((entry) => matcher(thrown(entry))).map((entry) => `also matched: ${entry.example}`),
  };
}

describe('the real error responses (src/sandbox/aws-error-texts.ts)', () => {
  it('each have a source, a code and an HTTP status', () => {
    for (const entry of texts.AWS_ERROR_TEXTS) {
      expect(entry.source, entry.example).toMatch(/#\d+|Guide|Reference/);
      expect(entry.code).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('are what the sandbox words its errors with: each template gives back the quoted text', () => {
    expect(texts.LAMBDA_ROLE_NOT_ASSUMABLE.text()).toBe(texts.LAMBDA_ROLE_NOT_ASSUMABLE.example);
    expect(texts.LAMBDA_UPDATE_IN_PROGRESS.text('arn:aws:lambda:us-east-1:123456789012:function:my-function')).toBe(texts.LAMBDA_UPDATE_IN_PROGRESS.example);
    expect(texts.LAMBDA_CANNOT_ACCESS_STREAM.text('arn:aws:kinesis:eu-west-1:*****:stream/*****')).toBe(texts.LAMBDA_CANNOT_ACCESS_STREAM.example);
    expect(texts.LAMBDA_MAPPING_EXISTS.text('arn:aws:kinesis:us-east-1:108206174331:stream/jazz20171210-events-hub-dev', 'jazz20171210-hndlr-dev', '106257e3-ec6a-4fb2-af2d-f26f163a603d')).toBe(texts.LAMBDA_MAPPING_EXISTS.example);
    expect(texts.KINESIS_RATE_EXCEEDED_FOR_ACCOUNT.text('943582610889')).toBe(texts.KINESIS_RATE_EXCEEDED_FOR_ACCOUNT.example);
    expect(texts.KINESIS_CONSUMER_NOT_ACTIVE.text('my-consumer', 1700000000, 'my-stream', '123456789012')).toBe(texts.KINESIS_CONSUMER_NOT_ACTIVE.example);
    expect(texts.KMS_INVALID_PRINCIPAL.text('arn:aws:iam::123456789012:role/my-new-role')).toBe(texts.KMS_INVALID_PRINCIPAL.example);
    expect(texts.KINESIS_KMS_ACCESS_DENIED.text('arn:aws:sts::123456789012:assumed-role/reader/session', 'arn:aws:kinesis:us-east-1:123456789012:stream/my-stream')).toBe(texts.KINESIS_KMS_ACCESS_DENIED.example);
  });
});

describe("the product's matchers, against AWS's own words", () => {
  it('isThrottling: a rate exceeded for a stream, an account or a shard; not the shard quota, which shares the code', () => {
    expect(judge(isThrottling, [texts.KINESIS_RATE_EXCEEDED_FOR_STREAM, texts.KINESIS_RATE_EXCEEDED_FOR_ACCOUNT, texts.KINESIS_RATE_EXCEEDED_FOR_SHARD])).toEqual({ matched: [], others: [] });
  });

  it('isServerError: none of these client errors', () => {
    expect(judge(isServerError, [])).toEqual({ matched: [], others: [] });
  });

  it('roleNotYetAssumable (CreateFunction): the new role Lambda cannot assume yet; not the other InvalidParameterValueExceptions', () => {
    expect(judge(roleNotYetAssumable, [texts.LAMBDA_ROLE_NOT_ASSUMABLE])).toEqual({ matched: [], others: [] });
  });

  it('updateInProgress: an update in progress; not the other ResourceConflictException, a mapping that exists', () => {
    expect(judge(updateInProgress, [texts.LAMBDA_UPDATE_IN_PROGRESS])).toEqual({ matched: [], others: [] });
  });

  it('accessNotYetVisible (CreateEventSourceMapping): "Cannot access stream", in both wordings; not a function that does not exist', () => {
    const result = judge(accessNotYetVisible, [texts.LAMBDA_CANNOT_ACCESS_STREAM, texts.LAMBDA_CANNOT_ACCESS_STREAM_OLDER, texts.LAMBDA_ROLE_NOT_ASSUMABLE]);
    expect(result).toEqual({ matched: [], others: [] });
  });

  it('existingMappingUuid: the UUID of the mapping that exists, for a Kinesis or an SQS source; nothing from an update in progress', () => {
    expect(existingMappingUuid(thrown(texts.LAMBDA_MAPPING_EXISTS))).toBe('106257e3-ec6a-4fb2-af2d-f26f163a603d');
    expect(existingMappingUuid(thrown(texts.LAMBDA_MAPPING_EXISTS_SQS))).toBe('2bac96f9-a36e-4017-a5a4-aa977086a2b6');
    expect(judge(existingMappingUuid, [texts.LAMBDA_MAPPING_EXISTS, texts.LAMBDA_MAPPING_EXISTS_SQS])).toEqual({ matched: [], others: [] });
  });

  it('principalNotYetVisible (CreateGrant): the role KMS does not know yet; not a consumer that is not ACTIVE, nor a decrypt denial', () => {
    expect(judge(principalNotYetVisible, [texts.KMS_INVALID_PRINCIPAL])).toEqual({ matched: [], others: [] });
  });

  it("kmsRefusal: a mapping's last result carrying Kinesis's decrypt denial; not its refusal to read the stream", () => {
    const lastResult = (entry: texts.AwsErrorText) => `PROBLEM: ${entry.code}: ${entry.example}`;
    expect(kmsRefusal(lastResult(texts.KINESIS_KMS_ACCESS_DENIED), undefined, 0)).toEqual({ cause: 'kms-access' });
    for (const entry of texts.AWS_ERROR_TEXTS.filter((e) => e !== texts.KINESIS_KMS_ACCESS_DENIED)) {
      expect(kmsRefusal(lastResult(entry), undefined, 0), entry.example).toBeUndefined();
    }
  });
});

describe("the mapping diagnosis (readPipelineSignals), against what Lambda reports", () => {
  const commands = { repair: 'kds-xacct setup --name orders', tailLogs: 'kds-xacct tail-logs --name orders', enableMapping: (uuid: string) => `enable ${uuid}` };
  const read = (mapping: { State?: string; StateTransitionReason?: string; LastProcessingResult?: string }) =>
    readPipelineSignals({ mapping: { UUID: 'u', State: 'Enabled', StateTransitionReason: texts.MAPPING_CHANGED_BY_USER.example, ...mapping }, now: 0, commands });
  const causeOf = (entry: texts.MappingReportText) => read({ LastProcessingResult: entry.example }).signals.map((s) => s.cause);

  it('each report has a source', () => {
    for (const entry of texts.MAPPING_REPORT_TEXTS) expect(entry.source, entry.example).toMatch(/#\d+|Guide|Reference/);
  });

  it('reads each LastProcessingResult as the cause it names', () => {
    const results = texts.MAPPING_REPORT_TEXTS.filter((entry) => entry.field === 'LastProcessingResult');
    expect(Object.fromEntries(results.map((entry) => [entry.example, causeOf(entry)]))).toEqual({
      [texts.MAPPING_FUNCTION_CALL_FAILED.example]: ['function-error'],
      [texts.MAPPING_NO_RECORDS_PROCESSED.example]: [],
      [texts.MAPPING_READ_DENIED.example]: ['stream-access'],
      [texts.MAPPING_CONSUMER_READ_DENIED.example]: ['consumer-access'],
      [texts.MAPPING_DECRYPT_DENIED.example]: ['kms-access'],
    });
  });

  it('reads the words of a denial, not the names in it: a stream or role called kms-… refused a read is not a KMS problem', () => {
    const session = 'arn:aws:sts::222222222222:assumed-role/kds-xacct-kms-audit-consumer/awslambda_0_20260101120000000';
    const denial = `PROBLEM: ${texts.MAPPING_READ_DENIED.text(session, 'kinesis:DescribeStream', 'arn:aws:kinesis:eu-west-1:111111111111:stream/kms-audit')}`;
    expect(read({ LastProcessingResult: denial }).signals.map((s) => s.cause)).toEqual(['stream-access']);
    expect(kmsRefusal(denial, undefined, 0)).toBeUndefined();
  });

  it('tells a mapping a user disabled from one Lambda disabled for a reason it names', () => {
    const fixOf = (entry: texts.MappingReportText) => read({ State: 'Disabled', StateTransitionReason: entry.example }).signals[0]!.fix;
    expect(fixOf(texts.MAPPING_CHANGED_BY_USER)).toMatch(/^run `kds-xacct setup --name orders` again to repair, or enable u$/);
    expect(fixOf(texts.MAPPING_DISABLED_BY_LAMBDA)).toBe('fix what the reason names, then enable u');
  });

  it("is what the sandbox's reads give back: the denial template reproduces its quoted example", () => {
    const [, session, action, resource] = /^PROBLEM: User: (\S+) is not authorized to perform: (\S+) on resource: (\S+)$/.exec(texts.MAPPING_READ_DENIED.example)!;
    expect(`PROBLEM: ${texts.MAPPING_READ_DENIED.text(session!, action!, resource!)}`).toBe(texts.MAPPING_READ_DENIED.example);
  });
});
