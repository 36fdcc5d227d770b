import { describe, expect, it } from 'vitest';
import { StepState, type EngineEvent } from '../../src/engine/types.js';
import { createReporter } from '../../src/render/reporter.js';
import { formatDuration, type OutputOptions } from '../../src/render/types.js';
import { Output } from '../support/command-harness.js';

const events: EngineEvent[] = [
  { type: 'step:started', stepId: 'stream', title: 'stream orders-stream', account: 'producer' },
  { type: 'step:checked', stepId: 'stream', result: 'missing' },
  { type: 'step:applied', stepId: 'stream', outputs: { streamArn: 'arn:aws:kinesis:eu-west-1:111111111111:stream/orders-stream' } },
  { type: 'step:waiting', stepId: 'stream', detail: 'stream is CREATING' },
  { type: 'step:done', stepId: 'stream', state: StepState.Created, elapsedMs: 21_300 },
  { type: 'step:failed', stepId: 'stream', phase: 'wait', error: Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException', $metadata: {} }), elapsedMs: 1200 },
];

function render(overrides: Partial<OutputOptions>) {
  const stdout = new Output();
  const stderr = new Output();
  return { stdout, stderr, reporter: createReporter({ stdout, stderr, isTTY: false, json: false, color: true, debug: false, ...overrides }) };
}

describe('renderers', () => {
  it('plain: one readable line per event worth a line, no ANSI codes', async () => {
    const { stdout, stderr, reporter } = render({});
    const r = await reporter;
    for (const e of events) r.event(e);
    r.error('it failed', 'do this');
    expect(stdout.lines).toEqual([
      '… stream orders-stream [producer]: stream is CREATING',
      '✔ stream orders-stream [producer]: created 21.3s',
      '✖ stream orders-stream [producer]: failed during wait after 1.2s: Rate exceeded',
    ]);
    expect(stderr.text).toBe('Error: it failed\ndo this\n');
    expect(stdout.text + stderr.text).not.toMatch(/\u001b\[/);
  });

  it('plain is chosen for a terminal when colour is off (NO_COLOR or --no-color)', async () => {
    const { stdout, reporter } = render({ isTTY: true, color: false });
    (await reporter).event(events[4]!);
    expect(stdout.text).not.toMatch(/\u001b\[/);
    expect(stdout.lines).toHaveLength(1);
  });

  it('json: events and logs as JSON lines on stderr, only the result on stdout', async () => {
    const { stdout, stderr, reporter } = render({ json: true, debug: true });
    const r = await reporter;
    for (const e of events) r.event(e);
    r.info('hello');
    r.debug('request id abc');
    r.result({ ok: true });
    const lines = stderr.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(['step:started', 'step:checked', 'step:applied', 'step:waiting', 'step:done', 'step:failed', 'log', 'log']);
    expect(lines[5]).toMatchObject({ error: { message: 'Rate exceeded', code: 'LimitExceededException' } });
    expect(JSON.parse(stdout.text)).toEqual({ ok: true });
  });

  it('formats durations for people', () => {
    expect([formatDuration(250), formatDuration(21_340), formatDuration(125_000)]).toEqual(['250ms', '21.3s', '2m05s']);
  });
});
