import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, REGION, twoAccounts } from '../support/two-accounts.js';

/**
 * What setup does with a function that exists: the bundled one it deployed is kept in line with the config,
 * setting by setting; an adopted one is left as it is. Each of these went unnoticed by the suite under a
 * mutation of the function or role step (README, Mutation testing).
 */
let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

type PlanJson = { plan: Array<{ step: string; action: string; detail?: string }> };
const planOf = () => Object.fromEntries((world.harness.reporter.results.at(-1) as PlanJson).plan.map((p) => [p.step, p]));
const changesSince = (from: number) => world.cloud.calls.slice(from).filter((c) => c.mutating && !c.error).map((c) => c.command);
const deployed = () => world.cloud.regionState(CONSUMER, REGION)!.functions.get('orders-consumer')!;

describe('the bundled function setup deployed', () => {
  it('says which of its settings differ, and changes only those', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    deployed().codeSha256 = 'b2xkZXI=';
    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().function).toMatchObject({ action: 'update', detail: 'runtime is nodejs22.x, the config says nodejs24.x; its code is not the bundled handler of this kds-xacct' });

    let before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(changesSince(before)).toEqual(['UpdateFunctionCode']);

    before = world.cloud.calls.length;
    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x')).toBe(ExitCode.Success);
    expect(changesSince(before)).toEqual(['UpdateFunctionConfiguration']);
    expect(await world.setup('--name', 'orders', '--runtime', 'nodejs24.x', '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().function).toMatchObject({ action: 'done' });
    expect(planOf().function!.detail).toBeUndefined();
  });
});

describe('an adopted function', () => {
  const adopt = ['--name', 'clicks', '--function-name', 'clicks-reader', '--use-existing-function'];

  it('keeps its own role, runtime and code', async () => {
    world = twoAccounts();
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader', runtime: 'nodejs20.x' });
    expect(await world.setup(...adopt, '--dry-run', '--json')).toBe(ExitCode.Success);
    expect(planOf().role).toMatchObject({ action: 'adopt', detail: 'the function keeps its own role' });
    expect(planOf().function).toMatchObject({ action: 'adopt', detail: 'existing function' });
    expect(await world.setup(...adopt)).toBe(ExitCode.Success);
    expect(world.cloud.mutatingCalls().map((c) => c.command).filter((c) => /Function|Role$/.test(c))).toEqual([]);
    expect((await world.store.load('clicks'))!.steps.role).toMatchObject({ origin: 'adopted', outputs: { roleName: 'clicks-reader-role', roleArn: `arn:aws:iam::${CONSUMER}:role/clicks-reader-role` } });
  });

  it('is refused when it is not there, with what to check', async () => {
    world = twoAccounts();
    expect(await world.setup(...adopt)).toBe(ExitCode.Usage);
    expect(world.harness.reporter.lines.filter((l) => l.level === 'error').map(({ text, hint }) => ({ text, hint }))).toEqual([
      { text: `Function clicks-reader was not found in account ${CONSUMER} (${REGION}).`, hint: 'Check --function-name, or leave out --use-existing-function to deploy the bundled function.' },
    ]);
  });
});
