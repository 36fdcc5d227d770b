import { CreateFunctionCommand, DeleteFunctionCommand, GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const FUNCTION = 'orders-consumer';
const consumerLambda = () => new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
const waiting = (stepId: string) => world.harness.reporter.events.flatMap((e) => (e.type === 'step:waiting' && e.stepId === stepId ? [e.detail] : []));
const failedCalls = (command: string) => world.cloud.calls.filter((c) => c.command === command && c.error);

describe('a function that is still changing', () => {
  it('a re-run while another update of the function is InProgress waits for it, then updates code and runtime', async () => {
    // An update of a function with a VPC can take a minute (UpdateFunctionConfiguration API reference).
    world = twoAccounts({ latency: { functionUpdate: 60_000 } });
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    // Someone else's deploy (or a run stopped during its update) leaves an update InProgress and other code.
    await consumerLambda().send(new UpdateFunctionCodeCommand({ FunctionName: FUNCTION, ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]) }));

    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x'), world.harness.reporter.text).toBe(ExitCode.Success);
    const conf = await consumerLambda().send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }));
    expect(conf).toMatchObject({ Runtime: 'nodejs24.x', LastUpdateStatus: 'Successful' });
    expect(world.cloud.calls.filter((c) => c.command === 'UpdateFunctionCode' || c.command === 'UpdateFunctionConfiguration').map((c) => [c.command, c.error])).toEqual([
      ['UpdateFunctionCode', undefined],
      ['UpdateFunctionCode', undefined],
      ['UpdateFunctionConfiguration', undefined],
    ]);
    expect(waiting('function')).toContain('function update in progress');
  });

  it('a re-run while the function is still Pending waits for it to be Active before updating it', async () => {
    world = twoAccounts({ latency: { functionCreate: 60_000 } });
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const lambda = consumerLambda();
    const made = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }));
    const { tags } = world.cloud.regionState(CONSUMER, REGION)!.functions.get(FUNCTION)!;
    // As a run stopped right after CreateFunction leaves it: ours, Pending, with a runtime to change.
    await lambda.send(new DeleteFunctionCommand({ FunctionName: FUNCTION }));
    await lambda.send(new CreateFunctionCommand({ FunctionName: FUNCTION, Runtime: 'nodejs22.x', Handler: made.Handler, Role: made.Role, Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]) }, Tags: tags }));

    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }))).toMatchObject({ State: 'Active', Runtime: 'nodejs24.x', LastUpdateStatus: 'Successful' });
    expect(failedCalls('UpdateFunctionCode')).toEqual([]);
    expect(failedCalls('UpdateFunctionConfiguration')).toEqual([]);
    expect(waiting('function')).toContain('function is Pending');
  });

  it('an update that collides with a change started after the look is tried again once the function has settled', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    const arn = `arn:aws:lambda:${REGION}:${CONSUMER}:function:${FUNCTION}`;
    world.cloud.failOn({ command: 'UpdateFunctionConfiguration' }, { code: 'ResourceConflictException', message: `The operation cannot be performed at this time. An update is in progress for resource: ${arn}` });

    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(await consumerLambda().send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }))).toMatchObject({ Runtime: 'nodejs24.x' });
    expect(failedCalls('UpdateFunctionConfiguration').map((c) => c.error)).toEqual(['ResourceConflictException']);
    expect(waiting('function')).toContain(`function ${FUNCTION} started another change; waiting for it to finish`);
  });
});

describe("AWS's server errors (5xx)", () => {
  it('are retried on every call path: setup in both accounts, send-test-record and its --verify, and teardown', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    const armed = (commands: string[]) => commands.forEach((command) => world.cloud.failWithServerError({ command }, 2));
    const setupCalls = ['CreateKey', 'CreateStream', 'CreateRole', 'CreateLogGroup', 'CreateQueue', 'CreateGrant', 'GetFunctionConfiguration', 'CreateEventSourceMapping'];
    armed(setupCalls);
    expect(await world.setup('--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(waiting('event-source-mapping')).toContain('AWS had an internal error (ServiceException), retrying');

    const recordCalls = ['PutRecord', 'FilterLogEvents'];
    armed(recordCalls);
    expect(await world.harness.run('send-test-record', '--name', 'orders', '--verify'), world.harness.reporter.text).toBe(ExitCode.Success);

    const teardownCalls = ['DeleteEventSourceMapping', 'DeleteStream'];
    armed(teardownCalls);
    expect(await world.harness.run('teardown', '--name', 'orders', '--yes'), world.harness.reporter.text).toBe(ExitCode.Success);
    // Each armed call met its two 5xx, and was tried again.
    const serverFaults = ['KMSInternalException', 'InternalFailureException', 'ServiceFailureException', 'ServiceUnavailableException', 'InternalError', 'ServiceException'];
    for (const command of [...setupCalls, ...recordCalls, ...teardownCalls]) {
      expect(world.cloud.calls.filter((c) => c.command === command && serverFaults.includes(c.error ?? '')), command).toHaveLength(2);
    }
    expect(world.cloud.snapshot()).toEqual(before);
  });

  it('that go on past the retry budget fail the step with the error AWS gave, and the run is rolled back', async () => {
    world = twoAccounts();
    const before = world.cloud.snapshot();
    world.cloud.failWithServerError({ command: 'CreateEventSourceMapping' }, 10_000);
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    expect(world.harness.reporter.text).toContain('during apply: ServiceException: An error occurred and the request cannot be processed.');
    expect(world.harness.reporter.text).toContain('What this run created was rolled back.');
    expect(world.cloud.snapshot()).toEqual(before);
  });
});

describe('a denial that gets the same answer as propagation', () => {
  it("keeps waiting within the budget, but after two minutes shows AWS's answer on the step's line and says what it waits for", async () => {
    world = twoAccounts();
    // The owner of an adopted stream denies the consumer account: no statement of ours can outweigh it.
    const guard = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'NoAnalytics', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` }, Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator'], Resource: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks` }],
    };
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', policy: guard });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream'), world.harness.reporter.text).toBe(ExitCode.Failed);

    const what = "waiting for the role's new permissions on the stream and consumer to reach Lambda (can take minutes)";
    const answer = `AWS still answers InvalidParameterValueException: Cannot access stream arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks.`;
    const details = waiting('event-source-mapping').filter((d) => d.startsWith(what));
    const minutesSoFar = (d: string) => Number(/, (\d+)m\d\ds so far/.exec(d)?.[1] ?? 0);
    const early = details.filter((d) => minutesSoFar(d) < 2);
    const late = details.filter((d) => minutesSoFar(d) >= 2);
    expect(early.length).toBeGreaterThan(0);
    for (const d of early) expect(d).not.toContain('AWS still answers');
    expect(late.length).toBeGreaterThan(0);
    for (const d of late) expect(d).toContain(answer);
    expect(late[0]).toContain('(if that is a real denial, such as an SCP or a permissions boundary, waiting will not fix it)');
    // The whole budget was still used, in case it was propagation after all.
    expect(world.harness.reporter.text).toContain('Gave up after 15m00s waiting for the role\'s new permissions on the stream and consumer to reach Lambda');
  });

  it("is the same for every propagation wait: the function's role and the grant's grantee show AWS's answer after two minutes", async () => {
    world = twoAccounts({ latency: { iamPropagation: 20 * 60_000 } });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Failed);
    const role = `arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`;
    expect(waiting('function')).toContainEqual(
      expect.stringMatching(/^waiting for IAM to propagate the new role to Lambda \(can take minutes\): attempt \d+, 2m\d\ds so far; AWS still answers InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda\./),
    );
    expect(waiting('kms-grant')).toContainEqual(
      expect.stringContaining(`so far; AWS still answers InvalidArnException: ARN does not refer to a valid principal: ${role}`),
    );
  });
});
