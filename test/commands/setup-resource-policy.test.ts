import { GetResourcePolicyCommand, KinesisClient, PutResourcePolicyCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

/**
 * What the plan says about the stream's and the consumer's resource policies, which others may share, and
 * what setup writes back. Each of these went unnoticed by the suite under a mutation of the resource policy
 * step (README, Mutation testing).
 */
let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

type PlanJson = { plan: Array<{ step: string; action: string; detail?: string }> };
const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));
const kinesis = () => new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
const streamArn = `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/orders-stream`;
type Policy = { Version: string; Statement: Array<Record<string, unknown>> };
const policyOf = async (arn: string) => JSON.parse((await kinesis().send(new GetResourcePolicyCommand({ ResourceARN: arn }))).Policy!) as Policy;
const others = (sids: string[]) =>
  sids.map((sid) => ({ ...(sid && { Sid: sid }), Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${PRODUCER}:root` }, Action: 'kinesis:DescribeStreamSummary', Resource: streamArn }));

describe("the stream's policy", () => {
  it("names at most three of the others' statements it keeps, and those without a Sid as such", async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'orders-stream', policy: { Version: '2012-10-17', Statement: others(['Audit', '', 'Billing']) } });
    expect(await world.setup('--name', 'orders', '--stream-name', 'orders-stream', '--use-existing-stream', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['stream-policy']!.detail).toBe('the policy already holds 3 other statements (Audit, one without a Sid, Billing), which are kept');
    await kinesis().send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: JSON.stringify({ Version: '2012-10-17', Statement: others(['Audit', '', 'Billing', 'Search']) }) }));
    expect(await world.setup('--name', 'orders', '--stream-name', 'orders-stream', '--use-existing-stream', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['stream-policy']).toMatchObject({ action: 'create', detail: 'the policy already holds 4 other statements (Audit, one without a Sid, Billing, …), which are kept' });
    expect(await world.setup('--name', 'orders', '--stream-name', 'orders-stream', '--use-existing-stream')).toBe(ExitCode.Success);
    expect((await policyOf(streamArn)).Statement.map((s) => s['Sid'] ?? '')).toEqual(['Audit', '', 'Billing', 'Search', expect.stringMatching(/StreamRead$/)]);
  });

  it('says how our statement was changed by hand, besides the others it keeps, and writes it back', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const policy = await policyOf(streamArn);
    const ours = policy.Statement[0]!;
    ours['Action'] = (ours['Action'] as string[]).filter((a) => a !== 'kinesis:GetRecords');
    await kinesis().send(new PutResourcePolicyCommand({ ResourceARN: streamArn, Policy: JSON.stringify({ ...policy, Statement: [...policy.Statement, ...others(['Audit'])] }) }));

    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()['stream-policy']).toMatchObject({
      action: 'update',
      detail: 'it no longer allows kinesis:GetRecords; it will be rewritten; the policy already holds another statement (Audit), which is kept',
    });
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const after = await policyOf(streamArn);
    expect(after.Statement.map((s) => s['Sid'])).toEqual([ours['Sid'], 'Audit']);
    expect(after.Statement[0]!['Action']).toContain('kinesis:GetRecords');
  });

  it('is rewritten for a new role when the role it names was deleted by hand', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    world.cloud.account(CONSUMER).roles.delete('kds-xacct-orders-consumer');
    expect(await world.setup('--name', 'orders', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf()).toMatchObject({
      role: { action: 'create' },
      'stream-policy': { action: 'update', detail: 'the role it names is missing; it will be rewritten' },
      'consumer-policy': { action: 'update', detail: 'the role it names is missing; it will be rewritten' },
    });
  });
});
