import { GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { awsErrorCode, errorMessage } from '../errors.js';
import { GRANT_PROPAGATION_MS, kmsRefusal, type MappingSignals } from '../pipeline/mapping-signals.js';
import type { Reporter } from '../render/types.js';

/**
 * How often a wait for records asks the mapping how its reads go. The first look comes after the
 * mapping has had time to try: a record that arrives at once costs no call.
 */
const MAPPING_CHECK_INTERVAL_MS = 15_000;

/** What the mapping's last result says about the KMS grant, judged by the grant's age. */
export type GrantStatus =
  /** It cannot decrypt, and the grant is young enough to be still propagating: wait. */
  | { status: 'pending'; createdAt: number; ageMs: number }
  /**
   * It cannot decrypt, and the grant is older than a grant usually takes (CreateGrant API reference: "usually
   * less than five minutes"): unusual, most likely a real problem, though the grant may only be late.
   */
  | { status: 'late'; createdAt: number; ageMs: number }
  /** It cannot decrypt, and the grant's age is unknown. */
  | { status: 'problem' };

/** A duration as a person says it: "40 s", "2 min 40 s". */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest > 0 ? ` ${rest} s` : ''}`;
}

/** Whether the mapping reports a KMS access problem, and if so whether the grant is still within the time it can take. */
export function grantStatus(mapping: MappingSignals, grantCreatedAt: number | undefined, now: number): GrantStatus | undefined {
  const kms = kmsRefusal(mapping.LastProcessingResult, grantCreatedAt, now);
  if (!kms) return undefined;
  if (grantCreatedAt === undefined || kms.ageMs === undefined) return { status: 'problem' };
  return { status: kms.cause === 'kms-grant-propagating' ? 'pending' : 'late', createdAt: grantCreatedAt, ageMs: kms.ageMs };
}

/** The grant's wait, said once while records are awaited. */
export const grantPendingNote = (ageMs: number) =>
  `The KMS grant was created ${formatAge(ageMs)} ago and is not in effect yet: KMS grants are usually in effect within five minutes (CreateGrant API reference). Lambda keeps the records and retries them; still waiting…`;

/** Said once when the grant has passed the time grants usually take and the mapping still cannot decrypt. */
export const grantLateNote = (ageMs: number, lastProcessingResult: string | undefined) =>
  `The KMS grant was created ${formatAge(ageMs)} ago and the mapping still cannot decrypt: KMS grants are usually in effect within five minutes (CreateGrant API reference), so this is unusual and may be a real problem (the key, the grant or the role). The mapping's last result: "${lastProcessingResult ?? '?'}". Still waiting, in case the grant is only late…`;

/**
 * When a grant that still fails is called late: five minutes after it, and one look later, since the mapping's
 * last result is only as new as its last read and a grant that just came into effect may not show there yet.
 */
const lateFrom = (grantCreatedAt: number) => grantCreatedAt + GRANT_PROPAGATION_MS + MAPPING_CHECK_INTERVAL_MS;

/**
 * While records are awaited, looks at the mapping now and then, and says once when its reads fail only
 * because the deployment's KMS grant is not in effect yet, so that a wait of minutes is not mistaken
 * for a broken pipeline; and once more if the grant passes the five minutes grants usually take while the
 * mapping still names KMS, with the error, as the wait goes on (a grant can be late: only the timeout ends
 * the wait). Needs the mapping and the grant's age, which only a deployment's state gives.
 */
export class GrantWatch {
  private nextCheckAt: number;
  private toldPending = false;
  private toldLate = false;

  constructor(
    private readonly deps: { clock: Clock; reporter: Pick<Reporter, 'info' | 'warn' | 'debug'> },
    private readonly watch: { consumer: AccountSession; mappingUuid?: string | undefined; grantCreatedAt?: number | undefined },
  ) {
    this.nextCheckAt = deps.clock.now() + MAPPING_CHECK_INTERVAL_MS;
  }

  /** Called after each look at the logs that still misses records. */
  async whileWaiting(): Promise<void> {
    const { clock, reporter } = this.deps;
    const { mappingUuid, grantCreatedAt, consumer } = this.watch;
    if (this.toldLate || !mappingUuid || grantCreatedAt === undefined || clock.now() < this.nextCheckAt) return;
    // Once the wait is told, nothing new can be said before the grant is late.
    this.nextCheckAt = Math.max(clock.now() + MAPPING_CHECK_INTERVAL_MS, this.toldPending ? lateFrom(grantCreatedAt) : 0);
    let mapping: MappingSignals;
    try {
      mapping = await consumer.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: mappingUuid }));
    } catch (error) {
      // Only a hint is lost: the diagnosis after the timeout reads the mapping again and reports what fails.
      if (!awsErrorCode(error)) throw error;
      reporter.debug(`GetEventSourceMapping ${mappingUuid}: ${awsErrorCode(error)}: ${errorMessage(error)}; looking again later.`);
      return;
    }
    const grant = grantStatus(mapping, grantCreatedAt, clock.now());
    if (grant?.status === 'pending' && !this.toldPending) {
      reporter.info(grantPendingNote(grant.ageMs));
      this.toldPending = true;
      this.nextCheckAt = Math.max(this.nextCheckAt, lateFrom(grantCreatedAt));
    } else if (grant?.status === 'late' && clock.now() >= lateFrom(grantCreatedAt)) {
      reporter.warn(grantLateNote(grant.ageMs, mapping.LastProcessingResult));
      this.toldLate = true;
    }
  }
}
