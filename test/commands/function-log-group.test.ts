import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

const CUSTOM = '/shared/clicks';
const CUSTOM_ARN = `arn:aws:logs:${REGION}:${CONSUMER}:log-group:${CUSTOM}`;
const DEFAULT = '/aws/lambda/clicks-reader';
const adopt = ['--name', 'clicks', '--function-name', 'clicks-reader', '--use-existing-function'];
const group = (name: string) => world.cloud.regionState(CONSUMER, REGION)!.logGroups.get(name);
const writeLogs = () => {
  const role = world.cloud.account(CONSUMER).roles.get('clicks-reader-role')!;
  const policy = JSON.parse(role.inline.current!['kds-xacct-clicks']!) as { Statement: Array<{ Sid: string; Resource: unknown }> };
  return policy.Statement.find((s) => s.Sid === 'WriteLogs')!.Resource;
};

describe('an adopted function that logs to a group of its own choosing (LoggingConfig.LogGroup)', () => {
  it('has that group adopted as it is and named in the role policy, and its invocations land there', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader', logGroup: CUSTOM });
    world.cloud.seedLogGroup(CONSUMER, REGION, CUSTOM, { retentionInDays: 365 });
    expect(await world.setup(...adopt), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`function clicks-reader logs to ${CUSTOM}: existing log group, kept as it is: its logs are kept 365 days`);
    expect((await world.store.load('clicks'))!.steps['log-group']).toMatchObject({ origin: 'adopted', outputs: { logGroupName: CUSTOM, logGroupArn: CUSTOM_ARN } });
    expect(writeLogs()).toBe(`${CUSTOM_ARN}:*`);
    expect(world.cloud.calls.filter((c) => c.mutating && ['CreateLogGroup', 'PutRetentionPolicy'].includes(c.command))).toEqual([]);

    expect(await world.harness.run('send-test-record', '--name', 'clicks', '--verify'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`Waiting for the record in ${CUSTOM} (up to`);
    expect(group(DEFAULT)).toBeUndefined();
    const streams = [...group(CUSTOM)!.streams];
    // The developer guide: a custom group's log streams also name the function.
    expect(streams.every((s) => /^\d{4}\/\d\d\/\d\d\/clicks-reader\[\$LATEST\]/.test(s))).toBe(true);

    const from = world.harness.stdout.text.length;
    expect(await world.harness.run('tail-logs', '--name', 'clicks', '--since', '1h', '--no-follow')).toBe(ExitCode.Success);
    expect(world.harness.stdout.text.slice(from)).toMatch(/ record pk=/);

    const statusFrom = world.harness.reporter.results.length;
    expect(await world.harness.run('status', '--name', 'clicks')).toBe(ExitCode.Success);
    expect((world.harness.reporter.results[statusFrom] as { resources: Array<{ step: string; status: string; id?: string }> }).resources.find((r) => r.step === 'log-group')).toMatchObject({ status: 'ok', id: CUSTOM_ARN });
  });

  it('has that group made as ours when it does not exist yet, so the role needs no logs:CreateLogGroup', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader', logGroup: CUSTOM });
    expect(await world.setup(...adopt)).toBe(ExitCode.Success);
    expect(group(CUSTOM)).toMatchObject({ retentionInDays: 30, tags: { 'kds-xacct:deployment': 'clicks' } });
    expect(group(DEFAULT)).toBeUndefined();
    expect(writeLogs()).toBe(`${CUSTOM_ARN}:*`);
    expect(await world.harness.run('teardown', '--name', 'clicks', '--yes')).toBe(ExitCode.Success);
    expect(group(CUSTOM)).toBeUndefined();
  });

  it('names the group it uses in the plan before the function is read, and in teardown\'s keep line, never /aws/lambda/<function>', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader', logGroup: CUSTOM });
    world.cloud.seedLogGroup(CONSUMER, REGION, CUSTOM, { retentionInDays: 365 });
    expect(await world.setup(...adopt)).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain('log group of function clicks-reader');
    expect(world.harness.reporter.text).not.toContain(`log group ${DEFAULT}`);
    const from = world.harness.reporter.lines.length;
    expect(await world.harness.run('teardown', '--name', 'clicks', '--yes')).toBe(ExitCode.Success);
    const text = world.harness.reporter.lines.slice(from).map((l) => l.text).join('\n');
    expect(text).toContain(`keep log group ${CUSTOM} (adopted`);
    expect(text).not.toContain(DEFAULT);
    expect(group(CUSTOM)).toMatchObject({ retentionInDays: 365 });
  });

  it('has the group setup made for it found and deleted by a teardown that lost its state file', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader', logGroup: CUSTOM });
    expect(await world.setup(...adopt)).toBe(ExitCode.Success);
    expect(group(CUSTOM)?.tags).toMatchObject({ 'kds-xacct:deployment': 'clicks' });
    await world.store.remove('clicks');
    expect(await world.harness.run('teardown', '--yes', '--name', 'clicks', '--producer-profile', 'prod', '--consumer-profile', 'analytics'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(world.harness.reporter.text).toContain(`delete log group ${CUSTOM}`);
    expect(group(CUSTOM)).toBeUndefined();
    expect(world.cloud.regionState(CONSUMER, REGION)!.functions.has('clicks-reader')).toBe(true);
  });
});
