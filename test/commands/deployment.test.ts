import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  deploymentConsumer,
  deploymentFailureDestination,
  deploymentFunction,
  deploymentMapping,
  deploymentStream,
  grantCreatedAt,
  mappedFunction,
  openDeployment,
  requireMappedFunction,
  requireStream,
} from '../../src/deployment/open.js';
import { parseDuration } from '../../src/commands/durations.js';
import { createContext, type GlobalOptions } from '../../src/context.js';
import { MemoryStateStore } from '../../src/deployment/store.js';
import { UserError } from '../../src/errors.js';
import { createHarness, seedDeploymentState, stubSessionFactory } from '../support/command-harness.js';

const accounts = {
  prod: { accountId: '111111111111', region: 'us-east-1' },
  analytics: { accountId: '222222222222', region: 'us-east-1' },
  other: { accountId: '333333333333' },
};

function setup(flags: Partial<GlobalOptions> = {}) {
  const store = new MemoryStateStore();
  const sessions = stubSessionFactory(accounts);
  const harness = createHarness({ sessions, store });
  const options: GlobalOptions = { stateDir: '.kds-xacct', program: ['kds-xacct'], yes: false, json: false, color: false, debug: false, sandbox: false, ...flags };
  const ctx = createContext(options, harness.environment, harness.reporter);
  return { store, sessions, ctx, reporter: harness.reporter };
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('openDeployment', () => {
  it('uses the only state file when no --name is given, and connects only the accounts asked for', async () => {
    const { store, sessions, ctx } = setup();
    await seedDeploymentState(store, { name: 'orders' });
    const d = await openDeployment(ctx, ['producer']);
    expect(d.name).toBe('orders');
    expect(d.state.steps['stream']?.outputs['streamName']).toBe('orders-stream');
    expect(d.producer.accountId).toBe('111111111111');
    expect(d.consumer).toBeUndefined();
    expect(sessions.connects).toEqual([{ profile: 'prod', role: 'producer', region: 'eu-west-1' }]);
  });

  it('connects both accounts when both are needed', async () => {
    const { store, sessions, ctx } = setup();
    await seedDeploymentState(store);
    const d = await openDeployment(ctx, ['producer', 'consumer']);
    expect(d.producer.profile).toBe('prod');
    expect(d.consumer.profile).toBe('analytics');
    expect(sessions.connects.map((c) => c.role).sort()).toEqual(['consumer', 'producer']);
  });

  it('asks for --name when there are several deployments, and lists them', async () => {
    const { store, ctx } = setup();
    await seedDeploymentState(store, { name: 'orders' });
    await seedDeploymentState(store, { name: 'clicks' });
    const error = await userError(openDeployment(ctx, ['producer']));
    expect(error.message).toContain('clicks, orders');
    expect(error.hint).toContain('--name');
  });

  it('says to run setup or pass --name when there is no deployment', async () => {
    const { ctx } = setup();
    const error = await userError(openDeployment(ctx, ['producer']));
    expect(error.message).toContain('No deployment');
    expect(error.hint).toContain('kds-xacct setup');
    expect(error.hint).toContain('--name');
  });

  it('refuses an unknown --name and names the known ones', async () => {
    const { store, ctx } = setup({ name: 'nope' });
    await seedDeploymentState(store, { name: 'orders' });
    const error = await userError(openDeployment(ctx, ['producer']));
    expect(error.message).toContain('"nope"');
    expect(error.message).toContain('orders');
  });

  it('lets flags override the profile and the region of the state', async () => {
    const { store, sessions, ctx, reporter } = setup({ producerProfile: 'prod', region: 'us-east-1' });
    await seedDeploymentState(store, { producer: { profile: 'old-prod-profile', accountId: '111111111111' } });
    const d = await openDeployment(ctx, ['producer']);
    expect(d.producer.profile).toBe('prod');
    expect(sessions.connects).toEqual([{ profile: 'prod', role: 'producer', region: 'us-east-1' }]);
    expect(reporter.text).toContain('--region us-east-1 differs');
  });

  it('refuses a profile that reaches another account than the state records', async () => {
    const { store, ctx } = setup({ consumerProfile: 'other' });
    await seedDeploymentState(store);
    const error = await userError(openDeployment(ctx, ['consumer']));
    expect(error.message).toContain('333333333333');
    expect(error.message).toContain('222222222222');
    expect(error.hint).toContain('--consumer-profile');
  });

  it('reports both failures when neither account can be reached', async () => {
    const { store, ctx } = setup();
    await seedDeploymentState(store, { producer: { profile: 'gone-1', accountId: '1' }, consumer: { profile: 'gone-2', accountId: '2' } });
    const error = await userError(openDeployment(ctx, ['producer', 'consumer']));
    expect(error.message).toContain('gone-1');
    expect(error.message).toContain('gone-2');
  });

  it('says "Neither profile could be used" with both reasons, as setup does', async () => {
    const { store, ctx } = setup();
    await seedDeploymentState(store, { producer: { profile: 'gone-1', accountId: '1' }, consumer: { profile: 'gone-2', accountId: '2' } });
    const error = await userError(openDeployment(ctx, ['producer', 'consumer']));
    expect(error.message).toMatch(/^Neither profile could be used:\n  producer "gone-1": .*\n  consumer "gone-2": /);
  });

  it('refuses profiles in two regions before connecting either, when no state file names the region', async () => {
    const sessions = stubSessionFactory({ prod: { accountId: '111111111111', region: 'us-east-1' }, analytics: { accountId: '222222222222', region: 'eu-west-1' } });
    const harness = createHarness({ sessions, store: new MemoryStateStore() });
    const options: GlobalOptions = { stateDir: '.kds-xacct', program: ['kds-xacct'], yes: false, json: false, color: false, debug: false, sandbox: false, name: 'orders', producerProfile: 'prod', consumerProfile: 'analytics' };
    const ctx = createContext(options, harness.environment, harness.reporter);
    const error = await userError(openDeployment(ctx, ['producer', 'consumer'], { allowMissingState: true }));
    expect(error.message).toContain('region us-east-1');
    expect(error.message).toContain('region eu-west-1');
    expect(error.hint).toContain('--region');
    expect(sessions.connects).toEqual([]);
  });

  it('opens a state file version 1 wrote: its recorded profiles connect both accounts', async () => {
    const { store, sessions, ctx } = setup();
    store.files.set('orders', await readFile(new URL('../engine/fixtures/orders-v1.json', import.meta.url), 'utf8'));
    const d = await openDeployment(ctx, ['producer', 'consumer']);
    expect(d.state.inputs).toMatchObject({ producerProfile: 'prod', consumerProfile: 'analytics' });
    expect(sessions.connects).toEqual([
      { profile: 'prod', role: 'producer', region: 'eu-west-1' },
      { profile: 'analytics', role: 'consumer', region: 'eu-west-1' },
    ]);
  });

  it('allows a missing state when asked, taking profiles from the flags', async () => {
    const { ctx } = setup({ name: 'orders', producerProfile: 'prod' });
    const d = await openDeployment(ctx, ['producer'], { allowMissingState: true });
    expect(d.state).toBeUndefined();
    expect(d.producer.accountId).toBe('111111111111');
  });

  it('names the profile flag when a missing state leaves no profile', async () => {
    const { ctx } = setup({ name: 'orders' });
    const error = await userError(openDeployment(ctx, ['consumer'], { allowMissingState: true }));
    expect(error.hint).toContain('--consumer-profile');
  });
});

describe("a deployment's readers", () => {
  it('read what the steps recorded, and nothing for a step that has not run', async () => {
    const state = await seedDeploymentState(new MemoryStateStore(), { omit: ['event-source-mapping'] });
    expect(deploymentStream(state)).toEqual({ name: 'orders-stream', arn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream' });
    expect(deploymentConsumer(state)).toEqual({ name: 'orders-efo', arn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream/consumer/orders-efo:1767225600' });
    expect(deploymentFunction(state)).toBe('orders-consumer');
    expect(mappedFunction(state)).toBe('orders-consumer');
    expect(deploymentMapping(state)).toBeUndefined();
    expect(grantCreatedAt(state)).toBeUndefined();
    state.steps['kms-grant'] = { origin: 'created', phase: 'ready', outputs: { keyId: 'k', grantId: 'g', createdAt: '2026-01-01T00:03:00.000Z' }, runId: 'seed', updatedAt: state.createdAt };
    expect(grantCreatedAt(state)).toBe(Date.UTC(2026, 0, 1, 0, 3));
  });

  it('give the failure destination: the queue setup made, else the one the answers named, else none', async () => {
    const state = await seedDeploymentState(new MemoryStateStore());
    expect(deploymentFailureDestination(state)).toBeUndefined();
    state.inputs.failureDestination = 'arn:aws:sns:eu-west-1:222222222222:failed-batches';
    expect(deploymentFailureDestination(state)).toEqual({ arn: 'arn:aws:sns:eu-west-1:222222222222:failed-batches' });
    const queue = { queueName: 'orders-failed-batches', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/222222222222/orders-failed-batches', queueArn: 'arn:aws:sqs:eu-west-1:222222222222:orders-failed-batches' };
    state.steps['failure-queue'] = { origin: 'created', phase: 'ready', outputs: queue, runId: 'seed', updatedAt: state.createdAt };
    expect(deploymentFailureDestination(state)).toEqual({ arn: queue.queueArn, queueUrl: queue.queueUrl });
  });

  it('say which step has not run when a command needs what it records', async () => {
    const { store, ctx } = setup();
    const state = await seedDeploymentState(store, { omit: ['stream', 'function', 'event-source-mapping'] });
    const error = (() => {
      try {
        return requireStream(ctx, state);
      } catch (e) {
        return e;
      }
    })() as UserError;
    expect(error.message).toBe('Deployment "orders" has no streamName recorded: its "stream" step has not completed.');
    expect(error.hint).toContain('kds-xacct setup --name orders');
    expect(() => requireMappedFunction(ctx, state)).toThrow('has no functionName recorded: its "function" step has not completed');
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['45', 45_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each(['', 'soon', '10 minutes', '5x', 'm10'])('rejects %j naming the flag', (text) => {
    expect(() => parseDuration(text, '--since')).toThrow(/--since/);
  });
});
