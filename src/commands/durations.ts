import { UserError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration flag such as "90s", "10m", "2h" or "1h30m" into milliseconds. A bare number
 * means seconds. `flag` names the option in the error, since that is what the user has to fix.
 */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    end = part.lastIndex;
  }
  if (end === 0 || end !== trimmed.length) {
    throw new UserError(`${flag} "${text}" is not a duration.`, `Use a number with a unit, for example ${flag} 90s, 10m or 2h.`);
  }
  return Math.round(total);
}
