import { wrapAt } from '../render/types.js';

/** One resource as a summary shows it: by its title, which names it, after short columns such as its origin. */
export interface ListedResource {
  /** producer or consumer. */
  account: string;
  /** The step's title, e.g. "stream orders-stream": the resource's name in words. */
  title: string;
  /** The short columns before the title, one per heading. */
  cells: string[];
  /** A line under the row (what is wrong with it), wrapped under the title. */
  note?: string;
}

type Accounts = Record<'producer' | 'consumer', { accountId: string; region: string }>;

/**
 * A deployment's resources grouped by account, each named by its title, which fits where an ARN does not.
 * Given a terminal's width, a long title or note wraps at spaces under the title's column, so no name is
 * cut; without one (pipes, CI, logs) every line stays whole.
 */
export function formatResourceGroups(headings: string[], rows: ListedResource[], accounts: Accounts, width?: number): string {
  const widths = headings.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? '').length)));
  const lead = (cells: string[]) => `  ${cells.map((c, i) => `${c.padEnd(widths[i]!)}  `).join('')}`;
  const column = lead(headings).length;
  const room = width === undefined ? Infinity : Math.max(20, width - 1 - column);
  const under = (text: string) => (room === Infinity ? [text] : wrapAt(text, room, '')).map((line, i) => (i === 0 ? line : ' '.repeat(column) + line));
  const lines: string[] = [];
  for (const account of ['producer', 'consumer'] as const) {
    const listed = rows.filter((r) => r.account === account);
    if (listed.length === 0) continue;
    const { accountId, region } = accounts[account];
    lines.push(`${account === 'producer' ? 'Producer' : 'Consumer'} account ${accountId} (${region}):`);
    if (headings.length > 0) lines.push(`${lead(headings)}resource`);
    for (const row of listed) {
      const [first = '', ...rest] = under(row.title);
      lines.push(lead(row.cells) + first, ...rest);
      if (row.note) lines.push(...under(row.note).map((line, i) => (i === 0 ? ' '.repeat(column) + line : line)));
    }
  }
  return lines.join('\n');
}

/** The ARNs among a deployment's identifiers, each once (a policy's resource is the stream's or consumer's own ARN). */
export function distinctArns(ids: Array<string | undefined>): string[] {
  return [...new Set(ids.filter((id): id is string => id?.startsWith('arn:') === true))];
}

/** Whether every ARN fits on one line of the terminal, indented as `formatArns` prints it (always, off a terminal). */
export function arnsFit(arns: string[], width?: number): boolean {
  return width === undefined || arns.every((arn) => arnIndent.length + arn.length <= width - 1);
}

/** Full ARNs, one per line and whole, to read or copy. */
export function formatArns(arns: string[]): string {
  return ['ARNs:', ...arns.map((arn) => arnIndent + arn)].join('\n');
}

const arnIndent = '  ';
