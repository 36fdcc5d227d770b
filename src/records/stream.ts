import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { AccountSession } from '../aws/session.js';
import type { Clock } from '../engine/clock.js';
import { CommandFailedError, ExitCode } from '../errors.js';
import { ifExists } from '../aws/retry.js';

/** The stream to write to: by ARN when the state file records it, else by name. */
export interface StreamRef {
  name: string;
  arn?: string | undefined;
}

/** How a Kinesis request names the stream: its ARN when known, else its name. */
export const streamTarget = (stream: StreamRef) => (stream.arn ? { StreamARN: stream.arn } : { StreamName: stream.name });

/**
 * A kds-xacct command for a hint, on the deployment when there is one, with the flags this run needs
 * repeated for it to work when pasted. The command layer builds it (src/commands/hints.ts).
 */
export type SuggestCommand = (command: string, args?: readonly string[]) => string;

/**
 * Checks that the stream exists and takes writes, with a message that says what to do when not.
 * Returns its ARN, by which a mapping that reads it is found.
 */
export async function checkStreamWritable(
  clock: Clock,
  stream: StreamRef,
  producer: AccountSession,
  deployment: string | undefined,
  suggest: SuggestCommand,
): Promise<string | undefined> {
  const summary = (
    await ifExists(clock, () =>
      producer.clients.kinesis.send(new DescribeStreamSummaryCommand(streamTarget(stream))),
    )
  )?.StreamDescriptionSummary;
  if (!summary) {
    throw new CommandFailedError(
      `Stream ${stream.name} does not exist in the producer account ${producer.accountId} (${producer.region}).`,
      ExitCode.Failed,
      deployment
        ? `It may have been deleted. Run \`${suggest('status')}\` to see what is left, or \`${suggest('setup')}\` to create it again.`
        : 'Check --stream-name, and that the producer profile and --region point at the account and region of the stream.',
    );
  }
  const status = summary.StreamStatus;
  // UPDATING (resharding, encryption) still takes writes.
  if (status === 'ACTIVE' || status === 'UPDATING') return summary.StreamARN ?? stream.arn;
  const what =
    status === 'CREATING' ? 'is still being created' : status === 'DELETING' ? 'is being deleted' : `is ${status ?? 'in an unknown state'}`;
  throw new CommandFailedError(
    `Stream ${stream.name} ${what}; it takes records only when ACTIVE.`,
    ExitCode.Failed,
    status === 'CREATING' ? 'Wait a few seconds and try again.' : deployment ? `Run \`${suggest('status')}\` to see its state.` : 'Check --stream-name.',
  );
}
