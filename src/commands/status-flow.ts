import { GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { AccountSession } from '../aws/session.js';
import { deploymentFailureDestination, deploymentMapping } from '../deployment/open.js';
import type { DeploymentState } from '../deployment/store.js';
import type { FlowRequest, MappingFacts, MetricsAccount } from '../monitoring/read.js';
import type { SetupConfig } from '../pipeline/config.js';
import { defaultNames } from '../pipeline/names.js';
import { parseArn } from '../pipeline/validate.js';
import { ifExists } from '../aws/retry.js';
import type { Clock } from '../engine/clock.js';
import { parseDuration } from './durations.js';

/** status's default window: the last quarter of an hour (the "last 15 minutes"). */
export const DEFAULT_WINDOW_MS = 15 * 60_000;

export function windowOf(since: unknown): number {
  return typeof since === 'string' ? parseDuration(since, '--since') : DEFAULT_WINDOW_MS;
}

const metricsAccount = (session: AccountSession): MetricsAccount => ({ role: session.role, profile: session.profile, accountId: session.accountId, cloudwatch: () => session.clients.cloudwatch() });

/**
 * The queue whose depth status shows: the one setup made, or the user's own queue when it is in the consumer
 * account (SQS sends a queue's metrics in the queue's account). Without a state file, the queue setup would make.
 */
function failureQueueOf(config: SetupConfig, state: DeploymentState | undefined, consumer: AccountSession): string | undefined {
  const recorded = deploymentFailureDestination(state);
  if (!recorded) return state || config.failureDestination.kind !== 'queue' ? undefined : defaultNames(config.name, consumer.accountId).failureQueueName;
  const arn = parseArn(recorded.arn);
  return arn?.service === 'sqs' && arn.accountId === consumer.accountId ? arn.resource : undefined;
}

/** The flow's metrics for one deployment: its names from the config, its mapping as the state recorded it. */
export function flowRequest(options: { producer: AccountSession; consumer: AccountSession; config: SetupConfig; state: DeploymentState | undefined; clock: Clock; now?: number; windowMs: number; historyMs?: number }): FlowRequest {
  const { producer, consumer, config, state, clock } = options;
  const uuid = deploymentMapping(state);
  const queueName = failureQueueOf(config, state, consumer);
  const mapping = async (): Promise<MappingFacts | undefined> => {
    if (!uuid) return undefined;
    const found = await ifExists(clock, () => consumer.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })));
    return found && { uuid, maximumRecordAgeSeconds: found.MaximumRecordAgeInSeconds ?? -1, eventCountsOn: found.MetricsConfig?.Metrics?.includes('EventCount') === true };
  };
  return {
    producer: metricsAccount(producer),
    consumer: metricsAccount(consumer),
    names: { streamName: config.streamName, consumerName: config.consumerName, functionName: config.functionName, ...(queueName && { queueName }) },
    mapping,
    now: options.now ?? clock.now(),
    windowMs: options.windowMs,
    ...(options.historyMs !== undefined && { historyMs: options.historyMs }),
  };
}
