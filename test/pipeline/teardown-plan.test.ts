import type { Consumer } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { newState, type DeploymentState } from '../../src/deployment/store.js';
import type { Origin, Outputs } from '../../src/engine/types.js';
import { STEP } from '../../src/pipeline/steps/context.js';
import type { KeyHold } from '../../src/pipeline/steps/kms-key.js';
import { adoptedOf, planTeardown, removalState, type TeardownOptions, type TeardownReads } from '../../src/pipeline/teardown-plan.js';
import { pipelineSteps } from '../support/pipeline-steps.js';

const removables = pipelineSteps();

/** What setup records for each step of deployment "orders". */
const OUTPUTS: Record<string, Outputs> = {
  [STEP.kmsKey]: { keyId: 'k1', keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k1', aliasName: 'alias/kds-xacct/orders' },
  [STEP.stream]: { streamName: 'orders-stream', streamArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream', origin: 'created' },
  [STEP.encryption]: { keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k1', streamOrigin: 'created' },
  [STEP.consumer]: { consumerName: 'orders-efo', consumerArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream/consumer/orders-efo:1' },
  [STEP.role]: { roleName: 'kds-xacct-orders-consumer', roleArn: 'arn:aws:iam::222222222222:role/kds-xacct-orders-consumer' },
  [STEP.rolePolicy]: { roleName: 'kds-xacct-orders-consumer', policyName: 'kds-xacct-orders' },
  [STEP.logGroup]: { logGroupName: '/aws/lambda/orders-consumer', logGroupArn: 'arn:aws:logs:eu-west-1:222222222222:log-group:/aws/lambda/orders-consumer' },
  [STEP.failureQueue]: { queueName: 'orders-failures', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/222222222222/orders-failures', queueArn: 'arn:aws:sqs:eu-west-1:222222222222:orders-failures' },
  [STEP.function]: { functionName: 'orders-consumer', functionArn: 'arn:aws:lambda:eu-west-1:222222222222:function:orders-consumer' },
  [STEP.streamPolicy]: { resourceArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream', sid: 'KdsXacctOrdersStreamRead' },
  [STEP.consumerPolicy]: { resourceArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream/consumer/orders-efo:1', sid: 'KdsXacctOrdersEfoConsume' },
  [STEP.grant]: { keyId: 'k1', grantId: 'g1' },
  [STEP.esm]: { uuid: 'u1', eventSourceArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream/consumer/orders-efo:1', functionName: 'orders-consumer' },
};

/** A deployment whose every step setup created, but for the origins given. */
function deployment(origins: Partial<Record<string, Origin | 'skipped'>> = {}): DeploymentState {
  const state = newState('orders', 'setup', new Date(0));
  for (const [id, outputs] of Object.entries(OUTPUTS)) {
    const origin = origins[id] ?? 'created';
    state.steps[id] = { origin, phase: 'ready', outputs: id === STEP.encryption && origins[STEP.stream] === 'adopted' ? { ...outputs, streamOrigin: 'adopted' } : outputs, runId: 'r', updatedAt: '' };
  }
  return state;
}

const HOLD: KeyHold = { streamName: 'orders-stream', retentionHours: 24, encryptionStoppedAt: 0, until: 86_400_000 };
const other: Consumer = { ConsumerName: 'billing-efo', ConsumerStatus: 'ACTIVE', ConsumerARN: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream/consumer/billing-efo:2', ConsumerCreationTimestamp: new Date(0) };

function plan(state: DeploymentState, options: Partial<TeardownOptions> = {}, reads: Partial<TeardownReads> = {}) {
  return planTeardown({ state, removables, options: { keyPendingDays: 30, ...options }, reads: { streamGone: false, otherConsumers: [], ...reads } });
}

const removed = (p: ReturnType<typeof plan>) => p.remove.map((r) => r.stepId);
const keptWhy = (p: ReturnType<typeof plan>) => Object.fromEntries(p.keep.map((k) => [k.stepId, k.reason]));

describe('the teardown plan', () => {
  it('removes everything setup created, the mapping first and the key last, and keeps nothing', () => {
    const p = plan(deployment());
    expect(removed(p)).toEqual([STEP.esm, STEP.grant, STEP.consumerPolicy, STEP.streamPolicy, STEP.function, STEP.failureQueue, STEP.logGroup, STEP.rolePolicy, STEP.role, STEP.consumer, STEP.encryption, STEP.stream, STEP.kmsKey]);
    expect(p.keep).toEqual([]);
    expect(p.dropped).toEqual([]);
    expect(p.warnings).toEqual([]);
    expect(p.keptKey).toBeUndefined();
    expect(p.gone).toBeUndefined();
  });

  it('says what each removal does, in the words of its step', () => {
    const titles = Object.fromEntries(plan(deployment()).remove.map((r) => [r.stepId, r.title]));
    expect(titles).toMatchObject({
      [STEP.kmsKey]: 'schedule deletion of KMS key arn:aws:kms:eu-west-1:111111111111:key/k1 and delete alias alias/kds-xacct/orders (deleted after 30 days)',
      [STEP.stream]: 'delete stream orders-stream',
      [STEP.encryption]: 'SSE-KMS encryption (goes with the stream)',
      [STEP.consumer]: 'deregister EFO consumer orders-efo',
      [STEP.rolePolicy]: 'delete inline policy kds-xacct-orders of role kds-xacct-orders-consumer',
      [STEP.logGroup]: 'delete log group /aws/lambda/orders-consumer',
      [STEP.failureQueue]: 'delete failure queue orders-failures',
      [STEP.esm]: expect.stringMatching(/^delete event source mapping orders-consumer ← .* \(u1\)$/),
      [STEP.grant]: expect.stringMatching(/^revoke KMS grant /),
      [STEP.streamPolicy]: expect.stringMatching(/^remove stream policy: read access for role /),
    });
  });

  it('states the waiting period it was given for the key', () => {
    expect(plan(deployment(), { keyPendingDays: 7 }).remove.find((r) => r.stepId === STEP.kmsKey)?.title).toMatch(/\(deleted after 7 days\)$/);
  });

  it('leaves the encryption of a stream it deletes out of the plan, but not that of an adopted stream', () => {
    expect([...plan(deployment()).silent]).toEqual([STEP.encryption]);
    const adopted = plan(deployment({ [STEP.stream]: 'adopted' }));
    expect([...adopted.silent]).toEqual([]);
    expect(adopted.remove.find((r) => r.stepId === STEP.encryption)?.title).toBe('stop SSE-KMS encryption of the adopted stream (kds-xacct enabled it)');
  });

  it('skips what setup skipped: neither removed nor kept', () => {
    const p = plan(deployment({ [STEP.encryption]: 'skipped' }));
    expect(removed(p)).not.toContain(STEP.encryption);
    expect(keptWhy(p)).toEqual({});
  });
});

describe('what the teardown plan keeps, and why', () => {
  it.each([
    ['an adopted resource', deployment({ [STEP.stream]: 'adopted', [STEP.function]: 'adopted' }), {}, {}, { [STEP.stream]: 'adopted', [STEP.function]: 'adopted' }],
    ['the key under --keep-key', deployment(), { keepKey: true }, {}, { [STEP.kmsKey]: 'keep-key' }],
    ["the key that must outlive an adopted stream's records", deployment({ [STEP.stream]: 'adopted' }), {}, { keyHold: HOLD }, { [STEP.stream]: 'adopted', [STEP.kmsKey]: 'key-hold' }],
    ['the key that must outlive the records, under --keep-key too', deployment({ [STEP.stream]: 'adopted' }), { keepKey: true }, { keyHold: HOLD }, { [STEP.stream]: 'adopted', [STEP.kmsKey]: 'key-hold' }],
    ['the failure queue that holds reports', deployment(), {}, { failureReports: 3 }, { [STEP.failureQueue]: 'failure-reports' }],
    ['the log group under --keep-logs', deployment(), { keepLogs: true }, {}, { [STEP.logGroup]: 'keep-logs' }],
    ['an adopted log group, as adopted, under --keep-logs', deployment({ [STEP.logGroup]: 'adopted' }), { keepLogs: true }, {}, { [STEP.logGroup]: 'adopted' }],
    ['an adopted key, as adopted, though it must outlive records', deployment({ [STEP.kmsKey]: 'adopted' }), {}, { keyHold: HOLD }, { [STEP.kmsKey]: 'adopted' }],
  ] as const)('keeps %s', (_what, state, options, reads, why) => {
    const p = plan(state, options, reads);
    expect(keptWhy(p)).toEqual(why);
    for (const id of Object.keys(why)) expect(removed(p)).not.toContain(id);
  });

  it.each([
    ['the failure queue when it is empty', {}, { failureReports: 0 }, STEP.failureQueue],
    ['the failure queue under --delete-failure-queue, reports or not', { deleteFailureQueue: true }, { failureReports: 3 }, STEP.failureQueue],
    ['the key when no record needs it', {}, {}, STEP.kmsKey],
    ['the log group without --keep-logs', {}, {}, STEP.logGroup],
  ] as const)('removes %s', (_what, options, reads, id) => {
    const p = plan(deployment(), options, reads);
    expect(removed(p)).toContain(id);
    expect(keptWhy(p)).toEqual({});
  });

  it('keeps the key in the state file until the teardown is complete, but out of the removals', () => {
    const state = deployment({ [STEP.stream]: 'adopted' });
    const p = plan(state, {}, { keyHold: HOLD });
    expect(p.keptKey).toEqual({ outputs: OUTPUTS[STEP.kmsKey], hold: HOLD, byFlag: false });
    expect(p.dropped).not.toContain(STEP.kmsKey);
    expect(removalState(state, p).steps[STEP.kmsKey]).toBeUndefined();
  });

  it('says the key was kept by the flag when --keep-key is given, with or without a hold', () => {
    expect(plan(deployment(), { keepKey: true }).keptKey).toEqual({ outputs: OUTPUTS[STEP.kmsKey], byFlag: true });
    expect(plan(deployment(), { keepKey: true }, { keyHold: HOLD }).keptKey).toEqual({ outputs: OUTPUTS[STEP.kmsKey], hold: HOLD, byFlag: true });
  });

  it('drops what it keeps apart from the deployment out of the state file, and counts the reports the queue holds', () => {
    const state = deployment();
    const p = plan(state, { keepLogs: true }, { failureReports: 2 });
    expect(p.dropped).toEqual([STEP.logGroup, STEP.failureQueue]);
    expect(p.keep.find((k) => k.reason === 'failure-reports')).toMatchObject({ stepId: STEP.failureQueue, account: 'consumer', reports: 2, outputs: OUTPUTS[STEP.failureQueue] });
    expect(Object.keys(removalState(state, p).steps)).not.toContain(STEP.logGroup);
    expect(Object.keys(removalState(state, p).steps)).not.toContain(STEP.failureQueue);
  });

  it('names only adopted resources among the adopted', () => {
    const p = plan(deployment({ [STEP.function]: 'adopted' }), { keepKey: true, keepLogs: true });
    expect(adoptedOf(p).map((k) => k.stepId)).toEqual([STEP.function]);
  });
});

describe('a stream deleted outside kds-xacct', () => {
  it('takes its encryption, consumer and the policies on both with it: none is removed, kept or left in the state', () => {
    const state = deployment({ [STEP.stream]: 'adopted', [STEP.consumerPolicy]: 'skipped' });
    const p = plan(state, {}, { streamGone: true });
    const withStream = [STEP.stream, STEP.encryption, STEP.consumer, STEP.streamPolicy];
    expect(p.gone).toEqual({ streamName: 'orders-stream', stepIds: withStream });
    expect(p.dropped).toEqual(withStream);
    for (const id of withStream) {
      expect(removed(p)).not.toContain(id);
      expect(keptWhy(p)).not.toHaveProperty(id);
    }
    expect(removed(p)).toContain(STEP.esm);
  });

  it('takes only what the deployment recorded', () => {
    const state = deployment();
    delete state.steps[STEP.consumer];
    delete state.steps[STEP.consumerPolicy];
    expect(plan(state, {}, { streamGone: true }).gone?.stepIds).toEqual([STEP.stream, STEP.encryption, STEP.streamPolicy]);
  });

  it('is no concern of a deployment that never recorded a stream', () => {
    const state = deployment();
    delete state.steps[STEP.stream];
    expect(plan(state, {}, { streamGone: true }).gone).toBeUndefined();
  });
});

describe("the stream's other readers", () => {
  it('refuse the deletion of our stream without --delete-stream-with-consumers', () => {
    const p = plan(deployment(), {}, { otherConsumers: [other] });
    expect(p.blockedBy).toEqual([other]);
    expect(p.deregister).toEqual([]);
  });

  it('are deregistered under --delete-stream-with-consumers, and the plan warns of it', () => {
    const p = plan(deployment(), { deleteStreamWithConsumers: true }, { otherConsumers: [other] });
    expect(p.blockedBy).toEqual([]);
    expect(p.deregister).toEqual([other]);
    expect(p.warnings).toEqual([`--delete-stream-with-consumers: these consumers of stream orders-stream will be deregistered too:\n  billing-efo (ACTIVE) ${other.ConsumerARN}`]);
  });

  it('are no concern when the stream is adopted, as it is never deleted', () => {
    const p = plan(deployment({ [STEP.stream]: 'adopted' }), {}, { otherConsumers: [other] });
    expect(p.blockedBy).toEqual([]);
    expect(p.deregister).toEqual([]);
    expect(p.warnings).toEqual([]);
  });
});

describe('records no step knows', () => {
  it('are left alone, and the plan warns of them after the readers it deregisters', () => {
    const state = deployment();
    state.steps['from-the-future'] = { origin: 'created', phase: 'ready', outputs: {}, runId: 'r', updatedAt: '' };
    const p = plan(state, { deleteStreamWithConsumers: true }, { otherConsumers: [other] });
    expect(p.unknown.map((u) => u.stepId)).toEqual(['from-the-future']);
    expect(removed(p)).not.toContain('from-the-future');
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[1]).toBe('The state records resources this version of kds-xacct does not know; they are left alone: from-the-future.');
  });
});
