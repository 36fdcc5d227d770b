import { describe, expect, it } from 'vitest';
import { newState, type DeploymentState } from '../../src/deployment/store.js';
import type { Origin } from '../../src/engine/types.js';
import { STEP } from '../../src/pipeline/steps/context.js';
import { planRemoval, removalId, removalSteps, removalTitle, type Removable } from '../../src/pipeline/teardown.js';
import { pipelineSteps } from '../support/pipeline-steps.js';

const undone: string[] = [];

/** The step `id` as teardown names it, titled `title`; a step no one knows has only its title. */
const removableTitled = (id: string, title: string) => ({ ...pipelineSteps().find((s) => s.id === id), title });
const removable = (id: string, dependsOn: string[], account = 'producer'): Removable => ({
  id,
  title: `thing ${id}`,
  account,
  dependsOn,
  undo: async () => {
    undone.push(id);
  },
});

function stateWith(records: Record<string, Origin | 'skipped'>): DeploymentState {
  const state = newState('orders', 'setup', new Date(0));
  for (const [id, origin] of Object.entries(records)) state.steps[id] = { origin, phase: 'ready', outputs: { id }, runId: 'r', updatedAt: '' };
  return state;
}

// stream <- consumer <- mapping, with the consumer policy in between adopted.
const graph = [removable('stream', []), removable('consumer', ['stream']), removable('policy', ['consumer']), removable('mapping', ['policy'], 'consumer')];

describe('removal steps', () => {
  it('reverse the dependencies, transitively through what is not removed', () => {
    const steps = removalSteps(graph, stateWith({ stream: 'created', consumer: 'created', policy: 'adopted', mapping: 'created' }), { onRemoved: async () => undefined, keyPendingDays: 30 });
    const deps = Object.fromEntries(steps.map((s) => [s.id, [...s.dependsOn].sort()]));
    expect(deps).toEqual({
      [removalId('stream')]: [removalId('consumer'), removalId('mapping')],
      [removalId('consumer')]: [removalId('mapping')],
      [removalId('mapping')]: [],
    });
  });

  it("only for created records, and each runs the setup step's undo with the recorded outputs, then reports it removed", async () => {
    undone.length = 0;
    const removed: string[] = [];
    const steps = removalSteps(graph, stateWith({ stream: 'adopted', consumer: 'created', policy: 'skipped' }), { onRemoved: async (id) => void removed.push(id), keyPendingDays: 30 });
    expect(steps.map((s) => s.id)).toEqual([removalId('consumer')]);
    await steps[0]!.apply({} as never);
    expect(undone).toEqual(['consumer']);
    expect(removed).toEqual(['consumer']);
  });

  it('does not report a removal whose undo failed', async () => {
    const failing: Removable = { ...removable('stream', []), undo: async () => Promise.reject(new Error('boom')) };
    const removed: string[] = [];
    const [step] = removalSteps([failing], stateWith({ stream: 'created' }), { onRemoved: async (id) => void removed.push(id), keyPendingDays: 30 });
    await expect(step!.apply({} as never)).rejects.toThrow('boom');
    expect(removed).toEqual([]);
  });
});

describe('the removal plan', () => {
  it('lists created records to delete and adopted ones to keep, and flags records nobody knows', () => {
    const plan = planRemoval(graph, stateWith({ stream: 'adopted', consumer: 'created', mapping: 'created', 'from-the-future': 'created' }), 30);
    expect(plan.remove.map((p) => p.stepId)).toEqual(['mapping', 'consumer']);
    expect(plan.keep.map((p) => p.stepId)).toEqual(['stream']);
    expect(plan.unknown.map((p) => p.stepId)).toEqual(['from-the-future']);
  });

  it('states the key waiting period', () => {
    expect(removalTitle(removableTitled(STEP.kmsKey, 'KMS key'), { keyArn: 'arn:aws:kms:eu-west-1:1:key/k', aliasName: 'alias/kds-xacct/orders' }, 7)).toMatch(/alias\/kds-xacct\/orders.*7 days/);
  });

  // What the plan says it will do to each resource, as the user reads it before confirming.
  it.each([
    [STEP.kmsKey, { keyArn: 'arn:aws:kms:eu-west-1:1:key/k', aliasName: 'alias/kds-xacct/orders' }, 'schedule deletion of KMS key arn:aws:kms:eu-west-1:1:key/k and delete alias alias/kds-xacct/orders (deleted after 30 days)'],
    [STEP.kmsKey, { keyId: 'k' }, 'schedule deletion of KMS key k (deleted after 30 days)'],
    [STEP.stream, { streamName: 'orders-stream' }, 'delete stream orders-stream'],
    [STEP.encryption, { streamOrigin: 'adopted' }, 'stop SSE-KMS encryption of the adopted stream (kds-xacct enabled it)'],
    [STEP.encryption, { streamOrigin: 'created' }, 'SSE-KMS encryption (goes with the stream)'],
    [STEP.consumer, { consumerName: 'orders-efo', consumerArn: 'arn:aws:kinesis:eu-west-1:1:stream/s/consumer/orders-efo:1' }, 'deregister EFO consumer orders-efo'],
    [STEP.consumer, { consumerArn: 'arn:aws:kinesis:eu-west-1:1:stream/s/consumer/orders-efo:1' }, 'deregister EFO consumer arn:aws:kinesis:eu-west-1:1:stream/s/consumer/orders-efo:1'],
    [STEP.role, { roleName: 'orders-role' }, 'delete role orders-role'],
    [STEP.rolePolicy, { policyName: 'read-orders', roleName: 'orders-role' }, 'delete inline policy read-orders of role orders-role'],
    [STEP.function, { functionName: 'orders-fn' }, 'delete function orders-fn'],
    [STEP.streamPolicy, { sid: 'KdsXacctOrders' }, 'remove the resource'],
    [STEP.consumerPolicy, { sid: 'KdsXacctOrders' }, 'remove the resource'],
    [STEP.grant, { grantId: 'g' }, 'revoke the resource'],
    [STEP.esm, { uuid: '1b2c' }, 'delete the resource (1b2c)'],
    [STEP.logGroup, { logGroupName: '/aws/lambda/orders-fn' }, 'delete log group /aws/lambda/orders-fn'],
    [STEP.failureQueue, { queueName: 'orders-failures' }, 'delete failure queue orders-failures'],
    ['from-a-plugin', {}, 'remove the resource'],
  ])('says what removing %s does: %j', (id, outputs, title) => {
    expect(removalTitle(removableTitled(id, 'the resource'), outputs, 30)).toBe(title);
  });
});
