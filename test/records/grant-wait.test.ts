import { describe, expect, it } from 'vitest';
import { formatAge, grantStatus } from '../../src/records/grant-wait.js';

const kmsProblem = {
  State: 'Enabled',
  LastProcessingResult: 'PROBLEM: KMSAccessDeniedException: User arn:aws:iam::222222222222:role/r is not authorized to decrypt records in stream arn:aws:kinesis:eu-west-1:111111111111:stream/s.',
};
const now = Date.UTC(2026, 0, 1, 12);

describe('grantStatus', () => {
  it('calls a KMS problem within five minutes of the grant pending, and after that late: grants usually take less, not always', () => {
    expect(grantStatus(kmsProblem, now - 40_000, now)).toEqual({ status: 'pending', createdAt: now - 40_000, ageMs: 40_000 });
    expect(grantStatus(kmsProblem, now - 300_000, now)).toEqual({ status: 'late', createdAt: now - 300_000, ageMs: 300_000 });
  });

  it('calls a KMS problem a problem when the age of the grant is unknown', () => {
    expect(grantStatus(kmsProblem, undefined, now)).toEqual({ status: 'problem' });
  });

  it('has nothing to say about a mapping without a KMS problem', () => {
    expect(grantStatus({ State: 'Enabled', LastProcessingResult: 'OK' }, now - 40_000, now)).toBeUndefined();
    expect(grantStatus({ State: 'Enabled', LastProcessingResult: 'PROBLEM: Function call failed' }, now - 40_000, now)).toBeUndefined();
  });
});

describe('formatAge', () => {
  it('says seconds, then minutes and seconds', () => {
    expect(formatAge(40_400)).toBe('40 s');
    expect(formatAge(60_000)).toBe('1 min');
    expect(formatAge(160_000)).toBe('2 min 40 s');
  });
});
