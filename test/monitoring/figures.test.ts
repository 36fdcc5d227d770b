import { describe, expect, it } from 'vitest';
import { FIGURES, type FigureKey, formatSpan, judge } from '../../src/monitoring/figures.js';
import { sparkline } from '../../src/monitoring/render.js';

const spec = (key: FigureKey) => FIGURES.find((f) => f.key === key)!;
const hour = { discardAfterMs: 3_600_000, discardedBy: 'Lambda discards records', window: '15 min' };

describe('judge', () => {
  it.each([
    ['iteratorAge', 12 * 60_000, 'ok', '12 min behind: 20 % of the 1 h after which Lambda discards records'],
    ['iteratorAge', 30 * 60_000, 'warning', '30 min behind: 50 % of the 1 h after which Lambda discards records'],
    ['millisBehindLatest', 54 * 60_000, 'problem', '54 min behind: 90 % of the 1 h after which Lambda discards records'],
    ['incomingRecords', 1234, 'ok', '1,234 in the last 15 min'],
    ['functionErrors', 0, 'ok', '0 in the last 15 min'],
    ['functionErrors', 3, 'warning', '3 in the last 15 min'],
    ['throttles', 1, 'warning', '1 in the last 15 min'],
    ['droppedRecords', 2, 'problem', '2 in the last 15 min'],
    ['sentToDestination', 2, 'problem', '2 in the last 15 min'],
    ['deliveryFailures', 1, 'problem', '1 in the last 15 min'],
    ['queueDepth', 4, 'warning', '4 now'],
    ['queueDepth', undefined, 'no-data', 'no data yet in the last 15 min'],
  ] as const)('%s at %s is %s', (key, value, verdict, note) => {
    expect(judge(spec(key), value, hour)).toEqual({ verdict, note });
  });
});

describe('formatSpan', () => {
  it.each([
    [250, '250 ms'],
    [90_000, '90 s'],
    [12 * 60_000, '12 min'],
    [3_600_000, '1 h'],
    [5_400_000, '1.5 h'],
  ])('%d ms is %s', (ms, text) => expect(formatSpan(ms)).toBe(text));
});

describe('sparkline', () => {
  it('draws one character per period, lowest to highest, and a blank where there was no datapoint', () => {
    const at = (minute: number) => new Date(minute * 60_000).toISOString();
    const series = [0, 1, 2, 4, 8].map((value, i) => ({ at: at(i === 4 ? 5 : i), value }));
    expect(sparkline(series, 0, 6 * 60_000, 60)).toBe('▁▁▂▄ █');
  });
});
