import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../src/deployment/store.js';
import { ExitCode } from '../../src/errors.js';
import { createHarness } from '../support/command-harness.js';
import { CONSUMER, createPipeline, LOG_GROUP, REGION, type Pipeline } from '../support/pipeline-fixture.js';

let pipeline: Pipeline | undefined;
afterEach(() => {
  pipeline?.restore();
  pipeline = undefined;
});

async function start(options?: Parameters<typeof createPipeline>[0]) {
  pipeline = await createPipeline(options);
  return pipeline;
}

/** The `data` of each record line printed, in order. */
function printedRecords(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => / record pk=/.test(l))
    .map((l) => l.replace(/^.* seq=\d+ /, ''));
}

/** Every event of the log group must be printed exactly once, in timestamp order. */
async function expectEveryEventOnce(p: Pipeline, stdout: string) {
  const events = await p.cloud.logEvents(CONSUMER, REGION, LOG_GROUP);
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(events.length);
  const times = lines.map((l) => Date.parse(l.split(' ')[0]!));
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  for (const event of events.filter((e) => e.message.startsWith('REPORT'))) {
    expect(lines.filter((l) => l.endsWith(event.message.trimEnd()))).toHaveLength(1);
  }
}

describe('tail-logs', () => {
  it('--since prints history, then follows, each event once and in order', async () => {
    const p = await start();
    await p.putRecord('{"n":1}', 'a');
    await p.putRecord('{"n":2}', 'b');
    await p.clock.sleep(5_000);

    const running = p.harness.run('tail-logs', '--since', '10m');
    await p.clock.sleep(10_000);
    await p.putRecord('{"n":3}', 'c');
    await p.clock.sleep(10_000);
    await p.putRecord('{"n":4}', 'd');
    await p.clock.sleep(10_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);

    const stdout = p.harness.stdout.text;
    expect(printedRecords(stdout)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    await expectEveryEventOnce(p, stdout);
    expect(stdout).toMatch(/^\S+Z START RequestId: /m);
    expect(stdout).toMatch(/record pk=c seq=\d+ \{"n":3\}/);
    // Live Tail was used, on the log group's ARN.
    const live = p.cloud.calls.filter((c) => c.command === 'StartLiveTail');
    expect(live).toHaveLength(1);
    expect((live[0]!.input as { logGroupIdentifiers: string[] }).logGroupIdentifiers).toEqual([`arn:aws:logs:${REGION}:${CONSUMER}:log-group:${LOG_GROUP}`]);
  });

  it('follows without history by default', async () => {
    const p = await start();
    await p.putRecord('old', 'a');
    await p.clock.sleep(5_000);
    await p.cloud.logEvents(CONSUMER, REGION, LOG_GROUP);

    const running = p.harness.run('tail-logs');
    await p.clock.sleep(5_000);
    await p.putRecord('new', 'b');
    await p.clock.sleep(5_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);
    expect(printedRecords(p.harness.stdout.text)).toEqual(['new']);
  });

  it('falls back to polling FilterLogEvents when Live Tail is unavailable', async () => {
    const p = await start();
    p.cloud.liveTailUnavailable = true;
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);

    const running = p.harness.run('tail-logs', '--since', '10m');
    await p.clock.sleep(10_000);
    await p.putRecord('{"n":2}', 'b');
    await p.clock.sleep(10_000);
    await p.putRecord('{"n":3}', 'c');
    await p.clock.sleep(10_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);

    expect(p.harness.reporter.text).toContain('Live Tail is not available here (UnknownOperationException');
    expect(p.harness.reporter.text).toContain('polling FilterLogEvents');
    const stdout = p.harness.stdout.text;
    expect(printedRecords(stdout)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    await expectEveryEventOnce(p, stdout);
  });

  it('falls back to polling when the account may not use Live Tail', async () => {
    const p = await start();
    p.cloud.liveTailUnavailable = { code: 'AccessDeniedException', message: 'not authorized to perform: logs:StartLiveTail' };
    const running = p.harness.run('tail-logs');
    await p.clock.sleep(3_000);
    await p.putRecord('x', 'a');
    await p.clock.sleep(10_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);
    expect(p.harness.reporter.text).toContain('AccessDeniedException');
    expect(printedRecords(p.harness.stdout.text)).toEqual(['x']);
  });

  it('reconnects when a Live Tail session times out, without losing or repeating events', async () => {
    const p = await start();
    p.cloud.liveTailSessionMs = 20_000;
    const running = p.harness.run('tail-logs');
    const sent: string[] = [];
    await p.putRecord('{"n":0}', 'k0');
    sent.push('{"n":0}');
    // A record every 700 ms, so that some are delivered between one session's end and the next one's start.
    for (let i = 1; i <= 70; i++) {
      await p.clock.sleep(700);
      sent.push(`{"n":${i}}`);
      await p.putRecord(sent.at(-1)!, `k${i}`);
    }
    await p.clock.sleep(10_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);

    expect(p.cloud.calls.filter((c) => c.command === 'StartLiveTail').length).toBeGreaterThanOrEqual(3);
    const stdout = p.harness.stdout.text;
    expect(printedRecords(stdout)).toEqual(sent);
    await expectEveryEventOnce(p, stdout);
    expect(p.harness.reporter.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('explains a missing log group with --no-follow', async () => {
    const p = await start();
    expect(await p.harness.run('tail-logs', '--no-follow')).toBe(ExitCode.Failed);
    const text = p.harness.reporter.text;
    expect(text).toContain(`Log group ${LOG_GROUP} does not exist in account ${CONSUMER}`);
    expect(text).toContain('has not run yet');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('waits for a missing log group when following, then tails it', async () => {
    const p = await start();
    const running = p.harness.run('tail-logs');
    await p.clock.sleep(10_000);
    expect(p.harness.reporter.text).toContain('does not exist yet: the function has not run yet');
    await p.putRecord('first', 'a');
    await p.clock.sleep(20_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);
    expect(printedRecords(p.harness.stdout.text)).toEqual(['first']);
  });

  it('--no-follow prints what is there and exits', async () => {
    const p = await start();
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);
    expect(await p.harness.run('tail-logs', '--no-follow', '--since', '1h')).toBe(ExitCode.Success);
    expect(printedRecords(p.harness.stdout.text)).toEqual(['{"n":1}']);
    expect(p.cloud.calls.some((c) => c.command === 'StartLiveTail')).toBe(false);
  });

  it('retries throttled reads of the log group instead of failing', async () => {
    const p = await start();
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);
    p.cloud.throttle('FilterLogEvents', 2);
    expect(await p.harness.run('tail-logs', '--no-follow', '--since', '1h')).toBe(ExitCode.Success);
    expect(printedRecords(p.harness.stdout.text)).toEqual(['{"n":1}']);
    expect(p.cloud.calls.filter((c) => c.command === 'FilterLogEvents' && c.error === 'ThrottlingException')).toHaveLength(2);
  });

  it('Ctrl-C ends the retries of a throttled read at once', async () => {
    const p = await start();
    p.cloud.liveTailUnavailable = true;
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);
    await p.cloud.logEvents(CONSUMER, REGION, LOG_GROUP);
    p.cloud.throttle('FilterLogEvents', 100_000);
    const startedAt = p.clock.now();
    const running = p.harness.run('tail-logs', '--since', '10m');
    await p.clock.sleep(5_000);
    p.harness.interrupt.trigger();
    const calls = p.cloud.calls.filter((c) => c.command === 'FilterLogEvents').length;
    expect(await running).toBe(ExitCode.Success);
    expect(p.clock.now() - startedAt).toBeLessThan(10_000);
    expect(p.cloud.calls.filter((c) => c.command === 'FilterLogEvents').length).toBe(calls);
  });

  it('--json prints one JSON object per event, then the exit document', async () => {
    const p = await start();
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);
    const h = createHarness({ sessions: p.sessions, clock: p.clock, store: p.store, realReporter: true });
    expect(await h.run('tail-logs', '--json', '--no-follow')).toBe(ExitCode.Success);
    const lines = h.stdout.lines.map((l) => JSON.parse(l) as { message: string; logGroup: string; record?: { partitionKey: string; data: unknown } });
    expect(lines.at(-1)).toEqual({ exitCode: ExitCode.Success });
    const events = lines.slice(0, -1);
    expect(events.length).toBe(4); // START, the record, END, REPORT
    expect(events.every((e) => e.logGroup === LOG_GROUP)).toBe(true);
    expect(events.filter((e) => e.record).map((e) => e.record)).toEqual([expect.objectContaining({ partitionKey: 'a', data: { n: 1 } })]);
    expect(h.stdout.text).not.toContain('\u001b[');
  });

  it('passes --filter to both FilterLogEvents and Live Tail', async () => {
    const p = await start();
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);
    const running = p.harness.run('tail-logs', '--since', '5m', '--filter', 'kds-xacct.record');
    await p.clock.sleep(5_000);
    await p.putRecord('{"n":2}', 'b');
    await p.clock.sleep(5_000);
    p.harness.interrupt.trigger();
    expect(await running).toBe(ExitCode.Success);
    const stdout = p.harness.stdout.lines;
    expect(stdout).toHaveLength(2);
    expect(printedRecords(p.harness.stdout.text)).toEqual(['{"n":1}', '{"n":2}']);
    const filter = p.cloud.calls.find((c) => c.command === 'FilterLogEvents')!.input as { filterPattern?: string };
    const live = p.cloud.calls.find((c) => c.command === 'StartLiveTail')!.input as { logEventFilterPattern?: string };
    expect(filter.filterPattern).toBe('kds-xacct.record');
    expect(live.logEventFilterPattern).toBe('kds-xacct.record');
  });

  it.each(['--function-name', '--function'])('%s tails any function with only the consumer profile, no deployment needed', async (flag) => {
    const p = await start();
    await p.putRecord('{"n":1}', 'a');
    await p.clock.sleep(5_000);
    const h = createHarness({ sessions: p.sessions, clock: p.clock, store: new MemoryStateStore() });
    const code = await h.run('tail-logs', flag, 'orders-consumer', '--consumer-profile', 'analytics', '--no-follow');
    expect(code).toBe(ExitCode.Success);
    expect(printedRecords(h.stdout.text)).toEqual(['{"n":1}']);
  });

  it('--function-name without a profile or deployment says which flag to pass; --function with another name is refused', async () => {
    const p = await start();
    const h = createHarness({ sessions: p.sessions, clock: p.clock, store: new MemoryStateStore() });
    expect(await h.run('tail-logs', '--function-name', 'anything')).toBe(ExitCode.Usage);
    expect(h.reporter.text).toContain('tail-logs --function-name anything needs the consumer account\'s profile');
    expect(h.reporter.text).toContain('--consumer-profile');
    expect(await h.run('tail-logs', '--function-name', 'one', '--function', 'two', '--consumer-profile', 'analytics')).toBe(ExitCode.Usage);
    expect(h.reporter.text).toContain('--function-name one and --function two name two functions.');
  });

  it('highlights errors in red on a colour terminal only', async () => {
    const p = await start();
    p.cloud.setFunctionRuntime(async () => {
      throw new Error('boom');
    });
    await p.putRecord('x', 'a');
    await p.clock.sleep(5_000);
    const tty = createHarness({ sessions: p.sessions, clock: p.clock, store: p.store, stdoutIsTTY: true });
    expect(await tty.run('tail-logs', '--no-follow')).toBe(ExitCode.Success);
    const errorLine = tty.stdout.lines.find((l) => l.includes('boom'))!;
    expect(errorLine).toContain('\u001b[31m');

    const plain = createHarness({ sessions: p.sessions, clock: p.clock, store: p.store });
    expect(await plain.run('tail-logs', '--no-follow')).toBe(ExitCode.Success);
    expect(plain.stdout.text).toContain('boom');
    expect(plain.stdout.text).not.toContain('\u001b[');

    const noColor = createHarness({ sessions: p.sessions, clock: p.clock, store: p.store, stdoutIsTTY: true });
    expect(await noColor.run('tail-logs', '--no-follow', '--no-color')).toBe(ExitCode.Success);
    expect(noColor.stdout.text).not.toContain('\u001b[');
  });
});
