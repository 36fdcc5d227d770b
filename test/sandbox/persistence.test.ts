import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/clock.js';
import { ExitCode } from '../../src/errors.js';
import { FakeCloud } from '../../src/sandbox/index.js';
import { Versioned } from '../../src/sandbox/model.js';
import { cloudImage, decodeValue, encodeValue, restoreCloudImage } from '../../src/sandbox/persistence.js';
import { bundledHandlerRuntime } from '../../src/sandbox/bundled-handler.js';
import { iamSimulateAccess } from '../support/iam-simulate-access.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';

let world: ReturnType<typeof twoAccounts> | undefined;
let restored: FakeCloud | undefined;
afterEach(() => {
  world?.cloud.restore();
  restored?.restore();
});

/** Through JSON text, as a file would carry it. */
const viaJson = (image: unknown) => JSON.parse(JSON.stringify(image)) as unknown;

describe('a saved fake cloud', () => {
  it('comes back whole after a full setup, records and log lines, and carries on from there', async () => {
    world = twoAccounts();
    const empty = world.cloud.snapshot();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.harness.run('send-test-record', '--name', 'orders', '--verify', '--timeout', '60s'), world.harness.reporter.text).toBe(ExitCode.Success);
    world.cloud.failOn({ command: 'DeleteStream', accountId: PRODUCER }, { code: 'LimitExceededException' }, 2);
    world.cloud.throttle('ListGrants', 1);
    world.cloud.failRecords(3);
    world.cloud.liveTailSessionMs = 60_000;
    const original = world.cloud;
    const image = viaJson(cloudImage(original));

    restored = new FakeCloud({ clock: world.clock, access: iamSimulateAccess });
    restoreCloudImage(restored, image);
    expect(restored.snapshot()).toEqual(original.snapshot());
    expect(viaJson(cloudImage(restored))).toEqual(image);
    const records = (cloud: FakeCloud) => cloud.streamRecords(PRODUCER, REGION, 'orders-stream').map((r) => ({ ...r, data: Buffer.from(r.data).toString() }));
    expect(records(restored)).toEqual(records(original));
    expect(records(restored)[0]?.data).toContain('kds-xacct');
    expect(await restored.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer')).toEqual(await original.logEvents(CONSUMER, REGION, '/aws/lambda/orders-consumer'));
    expect(restored.ids.issued).toBe(original.ids.issued);
    expect(restored.liveTailSessionMs).toBe(60_000);

    // The restored cloud is a working cloud: teardown runs against it, meets the faults that were armed
    // (retrying the throttled and failed calls) and leaves both accounts as they were before setup.
    original.restore();
    restored.install();
    restored.setFunctionRuntime(bundledHandlerRuntime);
    expect(await world.harness.run('teardown', '--yes', '--name', 'orders'), world.harness.reporter.text).toBe(ExitCode.Success);
    expect(restored.snapshot()).toEqual(empty);
    // Not found is how teardown sees a resource gone: the mapping, the failure queue at the end of its deletion, and an alarm topic there is none of.
    const injected = restored.calls.filter((c) => c.error && !['ResourceNotFoundException', 'QueueDoesNotExist', 'NotFoundException'].includes(c.error));
    expect(injected.map((c) => `${c.command} ${c.error}`)).toEqual(['ListGrants ThrottlingException', 'DeleteStream LimitExceededException', 'DeleteStream LimitExceededException']);
    expect(original.calls.some((c) => c.command === 'DeleteStream')).toBe(false);
  });

  it('refuses what it cannot read, and an image from a newer version', () => {
    const cloud = new FakeCloud({ clock: new VirtualClock() });
    expect(() => restoreCloudImage(cloud, { some: 'json' })).toThrow(/not a saved fake cloud/);
    expect(() => restoreCloudImage(cloud, { ...cloudImage(cloud), version: 99 })).toThrow(/format 99/);
  });

  it('refuses to save a fault whose predicate it cannot write down', () => {
    const cloud = new FakeCloud({ clock: new VirtualClock() });
    cloud.failOn({ command: 'CreateStream', when: (input) => input.StreamName === 'x' }, { code: 'LimitExceededException' });
    expect(() => cloudImage(cloud)).toThrow(/`when` predicate/);
  });
});

describe('the state encoding', () => {
  it('carries what JSON alone cannot, losslessly', () => {
    const value = {
      map: new Map<unknown, unknown>([['a', 1], [2, new Set(['x', undefined])]]),
      big: 2n ** 127n - 1n,
      bytes: new Uint8Array([0, 1, 254, 255]),
      at: new Date(Date.UTC(2026, 0, 1)),
      numbers: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN, -0, 1.5],
      history: new Versioned<string>('first', Number.NEGATIVE_INFINITY),
      missing: undefined,
      looksTagged: { $map: 'not a map' },
      nested: [{ a: [null, true, 'x'] }],
    };
    value.history.set(undefined, 5);
    const back = decodeValue(viaJson(encodeValue(value))) as typeof value;
    expect(back).toEqual(value);
    expect(Object.is(back.numbers[3], -0)).toBe(true);
    expect('missing' in back).toBe(true);
    expect(back.history.writes).toEqual([{ value: 'first', at: Number.NEGATIVE_INFINITY }, { value: undefined, at: 5 }]);
    expect(back.history.effective(10, 0)).toBeUndefined();
  });

  it('fails loudly on what it would lose: classes it does not know, functions, shared objects', () => {
    class Unknown {}
    expect(() => encodeValue({ a: { b: new Unknown() } })).toThrow('cannot persist the Unknown at state.a.b');
    expect(() => encodeValue({ f: () => 1 })).toThrow('cannot persist the function at state.f');
    const shared = { tags: {} };
    expect(() => encodeValue({ one: shared, two: shared })).toThrow('the same object is at state.one and state.two');
    expect(() => decodeValue({ $weird: 1 })).toThrow(/unknown tag \$weird/);
  });
});
