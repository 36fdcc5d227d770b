import { wrapWords } from '../render/types.js';
import type { Figure, FigureGroup, Verdict } from './figures.js';
import { formatSpan } from './figures.js';
import type { FlowReport } from './read.js';

const VERDICT_WORDS: Record<Verdict, string> = { ok: 'ok', warning: 'WARNING', problem: 'PROBLEM', 'no-data': 'no data', off: 'off', denied: 'not readable' };
const GROUP_WORDS: Record<FigureGroup, string> = { lag: 'Lag', throughput: 'Throughput', failures: 'Failures' };
const BARS = '▁▂▃▄▅▆▇█';

/** The last values as a line of block characters, lowest to highest; a blank for a period without data. */
export function sparkline(series: Array<{ at: string; value: number }>, from: number, until: number, periodSeconds: number): string {
  const slots = Math.max(1, Math.round((until - from) / (periodSeconds * 1000)));
  const values: Array<number | undefined> = Array.from({ length: slots }, () => undefined);
  for (const p of series) {
    const slot = Math.floor((Date.parse(p.at) - from) / (periodSeconds * 1000));
    if (slot >= 0 && slot < slots) values[slot] = p.value;
  }
  const present = values.filter((v): v is number => v !== undefined);
  const max = Math.max(0, ...present);
  return values.map((v) => (v === undefined ? ' ' : BARS[max === 0 ? 0 : Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join('');
}

/** How to turn on what is missing, as commands that run when pasted. */
export interface FlowHints {
  setup: string;
}

/**
 * The figures as status prints them, grouped, each with its verdict; then what could not be read, once. Fitted to
 * `width` (a terminal's) by breaking lines at spaces.
 */
export function formatFlow(flow: FlowReport, hints: FlowHints, options: { width?: number | undefined; sparklines?: { from: number; until: number } } = {}): string {
  const { width, sparklines } = options;
  const lines = [`Flow over the last ${formatSpan(flow.windowSeconds * 1000)} (CloudWatch, ${flow.periodSeconds / 60}-minute periods):`];
  const labelWidth = Math.max(...flow.figures.map((f) => f.label.length));
  for (const group of ['lag', 'throughput', 'failures'] as const) {
    const figures = flow.figures.filter((f) => f.group === group);
    if (figures.length === 0) continue;
    lines.push(`  ${GROUP_WORDS[group]}`);
    for (const f of figures) lines.push(`    ${VERDICT_WORDS[f.verdict].padEnd(12)} ${f.label.padEnd(labelWidth)}  ${sparklines ? `${sparkline(f.series, sparklines.from, sparklines.until, f.periodSeconds)}  ` : ''}${noteOf(f)}`);
  }
  if (flow.eventCountsOff) lines.push(`  The mapping's event-count metrics (MetricsConfig EventCount) are off, so records delivered, dropped and sent to the failure destination are not counted: \`${hints.setup}\` turns them on.`);
  for (const d of flow.denied) {
    lines.push(`  The ${d.account} profile ${d.profile} (account ${d.accountId}) may not read CloudWatch metrics. A policy of that identity with this statement would allow it:`, ...JSON.stringify(d.statement, null, 2).split('\n').map((l) => `    ${l}`));
  }
  const text = lines.join('\n');
  // A line of exactly the terminal's width would wrap by itself on some terminals.
  return width === undefined ? text : wrapWords(text, width - 1);
}

function noteOf(f: Figure): string {
  return f.verdict === 'denied' ? 'see below' : f.note;
}

/** One line per refresh, for `status --watch` without a terminal: the time, then each figure's key, value and verdict. */
export function flowLine(flow: FlowReport, at: number): string {
  const parts = flow.figures.map((f) => `${f.key}=${f.value === undefined ? '-' : Math.round(f.value)}${f.verdict === 'ok' ? '' : `(${f.verdict})`}`);
  return `${new Date(at).toISOString()} ${parts.join(' ')}`;
}
