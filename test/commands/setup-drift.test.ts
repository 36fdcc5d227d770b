import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateGrantCommand, KMSClient, ListGrantsCommand, RevokeGrantCommand } from '@aws-sdk/client-kms';
import { CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { LAMBDA_MAPPING_EXISTS } from '../../src/sandbox/aws-error-texts.js';
import { simulateAccess } from '../support/policy-check.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

/**
 * What a re-run of setup notices after someone changed a deployment by hand. Each of these went unnoticed
 * by the whole suite under a mutation of the product (README, Mutation testing).
 */
let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

type PlanJson = { plan: Array<{ step: string; action: string; detail?: string }> };
const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));
const streamArn = (name: string) => `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/${name}`;
const roleArn = `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`;

describe('a re-run of setup', () => {
  it("brings back the mapping's maximum record age when it was changed by hand", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const esm = [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!;
    esm.maximumRecordAgeInSeconds = 60;

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'update', detail: 'MaximumRecordAgeInSeconds is 60, the config says 3600' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(esm.maximumRecordAgeInSeconds).toBe(3600);
  });

  it('replaces a same-named grant that constrains decryption to another stream', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const kms = new KMSClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
    const keyId = (await world.store.load('orders'))!.steps['kms-key']!.outputs.keyId!;
    const [ours] = (await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!;
    await kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId: ours!.GrantId }));
    const elsewhere = { EncryptionContextSubset: { 'aws:kinesis:arn': streamArn('payments') } };
    await kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: roleArn, Operations: ['Decrypt'], Name: ours!.Name, Constraints: elsewhere }));

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['kms-grant']!.action).toBe('create');
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const constraints = (await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!.map((g) => g.Constraints?.EncryptionContextSubset?.['aws:kinesis:arn']);
    expect(constraints.sort()).toEqual([streamArn('orders-stream'), streamArn('payments')]);
  });
});

describe("a re-run of setup, on the event source mapping", () => {
  const mappingOf = () => [...world.cloud.regionState(CONSUMER, REGION)!.esms.values()][0]!;
  const lambdaOf = () => new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });

  it('turns ReportBatchItemFailures back on when it was turned off by hand, so one bad record does not replay its whole batch', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    mappingOf().functionResponseTypes = [];

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'update', detail: 'ReportBatchItemFailures is off' });
    const before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mappingOf().functionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(world.cloud.calls.slice(before).filter((c) => c.mutating).map((c) => c.command)).toEqual(['UpdateEventSourceMapping']);
  });

  it('splits a failing batch again when BisectBatchOnFunctionError was turned off by hand, and says every setting that drifted', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mappingOf().bisectBatchOnFunctionError).toBe(true);
    mappingOf().bisectBatchOnFunctionError = false;
    mappingOf().batchSize = 7;

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'update', detail: 'BatchSize is 7, the config says 100; BisectBatchOnFunctionError is false, the config says true' });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(mappingOf()).toMatchObject({ bisectBatchOnFunctionError: true, batchSize: 100 });
  });

  it('puts back the on-failure destination when it was taken off by hand', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const destination = (await lambdaOf().send(new GetEventSourceMappingCommand({ UUID: mappingOf().uuid }))).DestinationConfig!.OnFailure!.Destination!;
    delete mappingOf().destinationConfig;

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'update', detail: `its on-failure destination is none, the config says ${destination}` });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect((await lambdaOf().send(new GetEventSourceMappingCommand({ UUID: mappingOf().uuid }))).DestinationConfig!.OnFailure!.Destination).toBe(destination);
  });

  it('still updates the mapping the state file recorded as created after its tags were taken off', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    mappingOf().tags = {};
    mappingOf().batchSize = 7;

    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(mappingOf().batchSize).toBe(100);
  });

  /** Replaces our mapping with an untagged one made by hand on the same function and consumer, with our settings and `changes`. */
  async function replaceWithHandMade(changes: { BatchSize?: number; FunctionResponseTypes?: [] }) {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const ours = await lambdaOf().send(new GetEventSourceMappingCommand({ UUID: mappingOf().uuid }));
    await lambdaOf().send(new DeleteEventSourceMappingCommand({ UUID: ours.UUID }));
    world.clock.advance(world.cloud.latency.esmDelete);
    const { FunctionArn, EventSourceArn, BatchSize, BisectBatchOnFunctionError, MaximumRetryAttempts, MaximumRecordAgeInSeconds, FunctionResponseTypes, DestinationConfig, MetricsConfig } = ours;
    const theirs = await lambdaOf().send(
      new CreateEventSourceMappingCommand({ FunctionName: FunctionArn, EventSourceArn, StartingPosition: 'LATEST', BatchSize, BisectBatchOnFunctionError, MaximumRetryAttempts, MaximumRecordAgeInSeconds, FunctionResponseTypes, DestinationConfig, MetricsConfig, ...changes }),
    );
    world.clock.advance(world.cloud.latency.esmCreate);
    return theirs.UUID!;
  }

  it('says nothing of an adopted mapping that is as the config would make it', async () => {
    await replaceWithHandMade({});
    expect(await world.setup('--name', 'orders', '--adopt', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']!.detail).toBeUndefined();
  });

  it('keeps an adopted mapping that differs from the config as it is, and says how, without an enable command while it is Enabled', async () => {
    await replaceWithHandMade({ BatchSize: 7, FunctionResponseTypes: [] });
    expect(await world.setup('--name', 'orders', '--adopt', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']!.detail).toBe('kept as it is: BatchSize is 7, the config says 100; ReportBatchItemFailures is off');
  });

  it('refuses a mapping made by hand on its consumer, and says the choice is --adopt or another --consumer-name', async () => {
    const theirs = await replaceWithHandMade({});
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain(`Event source mapping ${theirs} (orders-consumer ← orders-${CONSUMER}-efo) already exists but was not created by kds-xacct`);
    expect(world.harness.reporter.text).toContain('To use it as it is (it will never be deleted), pass --adopt. To create a new one instead, choose another name with --consumer-name.');
  });

  it('plans to make the mapping again when it was deleted by hand', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    await lambdaOf().send(new DeleteEventSourceMappingCommand({ UUID: mappingOf().uuid }));
    world.clock.advance(world.cloud.latency.esmDelete);

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']!.action).toBe('create');
  });

  it('waits out a mapping someone is deleting on its consumer, then makes its own', async () => {
    const theirs = await replaceWithHandMade({});
    await lambdaOf().send(new DeleteEventSourceMappingCommand({ UUID: theirs }));

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['event-source-mapping']).toMatchObject({ action: 'create', detail: `mapping ${theirs} is still being deleted; a new one is created once it is gone` });
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const made = (await world.store.load('orders'))!.steps['event-source-mapping']!;
    expect(made.origin).toBe('created');
    expect(made.outputs.uuid).not.toBe(theirs);
    expect(mappingOf().tags).toMatchObject({ 'kds-xacct:deployment': 'orders' });
  });

  it("does not take for its own the mapping a conflict names when it is not the one the state file recorded", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const state = (await world.store.load('orders'))!;
    await lambdaOf().send(new DeleteEventSourceMappingCommand({ UUID: state.steps['event-source-mapping']!.outputs.uuid }));
    world.clock.advance(world.cloud.latency.esmDelete);
    // Someone's mapping of our function on the stream itself, which the check on the consumer does not see.
    const theirs = await lambdaOf().send(new CreateEventSourceMappingCommand({ FunctionName: 'orders-consumer', EventSourceArn: streamArn('orders-stream'), StartingPosition: 'LATEST' }));
    world.clock.advance(world.cloud.latency.esmCreate);
    const consumerArn = state.steps['efo-consumer']!.outputs.consumerArn!;
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: LAMBDA_MAPPING_EXISTS.code, message: LAMBDA_MAPPING_EXISTS.text(consumerArn, 'orders-consumer', theirs.UUID!) });

    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain(`Event source mapping ${theirs.UUID} (orders-consumer ← orders-${CONSUMER}-efo) already exists but was not created by kds-xacct for deployment "orders".`);
    expect(world.harness.reporter.text).toContain('choose another name with --consumer-name');
    expect((await lambdaOf().send(new GetEventSourceMappingCommand({ UUID: theirs.UUID }))).State).toBe('Enabled');
  });
});

describe("a re-run of setup, on the role's KMS grant", () => {
  const kmsOf = () => new KMSClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
  /** Sets up `orders`, revokes its grant and gives the role `replacement` instead; returns our grant's name and the key. */
  async function replaceOurGrant(replacement: (name: string) => Omit<ConstructorParameters<typeof CreateGrantCommand>[0], 'KeyId'>) {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const kms = kmsOf();
    const keyId = (await world.store.load('orders'))!.steps['kms-key']!.outputs.keyId!;
    const [ours] = (await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!;
    await kms.send(new RevokeGrantCommand({ KeyId: keyId, GrantId: ours!.GrantId }));
    await kms.send(new CreateGrantCommand({ KeyId: keyId, ...replacement(ours!.Name!) }));
    return { keyId, name: ours!.Name! };
  }
  const grantsOn = async (keyId: string) => (await kmsOf().send(new ListGrantsCommand({ KeyId: keyId }))).Grants!;

  it("does not take someone else's grant with the same rights for its own, since teardown would revoke it", async () => {
    const ourConstraint = { EncryptionContextSubset: { 'aws:kinesis:arn': streamArn('orders-stream') } };
    const { keyId, name } = await replaceOurGrant(() => ({ GranteePrincipal: roleArn, Operations: ['Decrypt'], Name: 'audit-reader', Constraints: ourConstraint }));

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['kms-grant']!.action).toBe('create');
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const grants = await grantsOn(keyId);
    expect(grants.map((g) => g.Name).sort()).toEqual(['audit-reader', name].sort());
    expect((await world.store.load('orders'))!.steps['kms-grant']!.outputs.grantId).toBe(grants.find((g) => g.Name === name)!.GrantId);
  });

  it.each([
    ['no encryption context constraint, so it decrypts anything under the key', undefined],
    ['an exact encryption context of another stream', { EncryptionContextEquals: { 'aws:kinesis:arn': streamArn('payments') } }],
  ])('replaces a same-named grant with %s', async (_, constraints) => {
    const { keyId } = await replaceOurGrant((name) => ({ GranteePrincipal: roleArn, Operations: ['Decrypt'], Name: name, ...(constraints && { Constraints: constraints }) }));

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['kms-grant']!.action).toBe('create');
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const subsets = (await grantsOn(keyId)).map((g) => g.Constraints?.EncryptionContextSubset?.['aws:kinesis:arn']);
    expect(subsets).toContain(streamArn('orders-stream'));
  });
});

describe("the role's inline policy", () => {
  it("lets the role read its own consumer, in any incarnation, and no other consumer of the stream", async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const iam = new IAMClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    const inline = decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'kds-xacct-orders-consumer', PolicyName: 'kds-xacct-orders' }))).PolicyDocument!);
    const consumers = `${streamArn('orders-stream')}/consumer`;
    // A producer that lets the role at every consumer of its stream: only the role's own policy keeps it to one.
    const everyConsumer = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kinesis:*', Resource: `${consumers}/*` }] };
    const subscribe = (consumerArn: string) =>
      simulateAccess({ principalArn: roleArn, action: 'kinesis:SubscribeToShard', resourceArn: consumerArn, identityPolicies: [inline], resourcePolicy: everyConsumer });

    expect(await subscribe(`${consumers}/orders-${CONSUMER}-efo:1700000000`)).toEqual({ allowed: true });
    expect(await subscribe(`${consumers}/orders-${CONSUMER}-efo:1800000000`)).toEqual({ allowed: true });
    expect(await subscribe(`${consumers}/billing-efo:1700000000`)).toMatchObject({ allowed: false, reason: "the role's identity policy does not allow it" });
  });
});
