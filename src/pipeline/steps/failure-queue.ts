import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { waitFor, withRetry } from '../../engine/wait.js';
import { formatDuration } from '../../engine/clock.js';
import { failedBatchesFinding } from '../failure-destination.js';
import { partitionOf } from '../names.js';
import { RETRY_BUDGET_MS, callAws, hasCode, ifExists } from '../../aws/retry.js';
import { STEP, waitOptions, type PipelineContext } from './context.js';
import type { HealthContext, HealthReading } from '../health-reading.js';
import { ignoreMissing, originOf } from './shared.js';

/**
 * Encrypted with SQS-managed keys, which need no key policy for Lambda to send to the queue, and kept
 * 14 days, the longest SQS allows: long enough to notice a failure and re-read its records from the stream.
 */
const FAILURE_QUEUE_ATTRIBUTES = { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' } as const;

/**
 * SQS refuses the name of a queue deleted less than 60 seconds ago with QueueDeletedRecently (DeleteQueue and
 * CreateQueue API reference), which is where a setup right after a teardown or a rollback gets to: it waits
 * that out, saying so on the step's line, rather than failing and rolling back everything else.
 */
async function createOnceNameIsFree<T>(step: StepContext, queueName: string, create: () => Promise<T>): Promise<T> {
  const started = step.clock.now();
  return withRetry(() => callAws(step.clock, create), {
    clock: step.clock,
    timeoutMs: RETRY_BUDGET_MS,
    maxDelayMs: 5_000,
    retryable: (error) =>
      hasCode(error, 'QueueDeletedRecently')
        ? `waiting for SQS to free the name ${queueName}: a queue of that name was deleted less than 60 s ago (${formatDuration(step.clock.now() - started)} so far)`
        : undefined,
    onRetry: (reason) => step.progress(reason),
  });
}

/** The queue's ARN, known before it exists: the role policy and the mapping name it. */
export function failureQueueArn(ctx: Pick<PipelineContext, 'consumer' | 'names'>): string {
  const { region, accountId } = ctx.consumer;
  return `arn:${partitionOf(region)}:sqs:${region}:${accountId}:${ctx.names.failureQueueName}`;
}

/** The mapping's on-failure destination: the queue setup makes, the user's own, or none. */
export function failureDestinationArn(ctx: Pick<PipelineContext, 'consumer' | 'names' | 'config'>): string | undefined {
  const destination = ctx.config.failureDestination;
  if (destination.kind === 'existing') return destination.arn;
  return destination.kind === 'queue' ? failureQueueArn(ctx) : undefined;
}

/** The mapping's on-failure destination, when it is one setup makes: an SQS queue in the consumer account. */
export function failureQueueStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const sqs = consumer.clients.sqs;
  const queueName = names.failureQueueName;
  const queueArn = failureQueueArn(ctx);
  const urlOf = async (step: StepContext) => (await ifExists(step.clock, () => sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))))?.QueueUrl;
  return {
    id: STEP.failureQueue,
    title: `failure queue ${queueName}`,
    idOutput: 'queueArn',
    removal: ({ outputs }) => `delete failure queue ${outputs.queueName ?? ''}`,
    health: (live) => failureQueueHealth(live),
    account: 'consumer',
    dependsOn: [],
    async check(step) {
      if (config.failureDestination.kind === 'none') return { status: 'skip', detail: 'no on-failure destination (--no-failure-destination)' };
      if (config.failureDestination.kind === 'existing') return { status: 'skip', detail: `failed batches go to ${config.failureDestination.arn}` };
      const queueUrl = await urlOf(step);
      if (!queueUrl) return { status: 'missing' };
      const outputs = { queueName, queueUrl, queueArn };
      const tags = (await callAws(step.clock, () => sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl })))).Tags;
      const origin = originOf(ctx, STEP.failureQueue, `Queue ${queueName}`, tags, '--name');
      if (origin === 'adopted') return { status: 'done', origin, outputs, detail: 'existing queue, kept as it is' };
      const attributes: Record<string, string | undefined> = (await callAws(step.clock, () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })))).Attributes ?? {};
      const differences = Object.entries(FAILURE_QUEUE_ATTRIBUTES)
        .filter(([key, value]) => attributes[key] !== value)
        .map(([key, value]) => `${key} is ${attributes[key] ?? 'unset'}, setup sets ${value}`);
      // Reported rather than rewritten: setup changes nothing about a queue that may hold reports of lost records.
      return { status: 'done', origin, outputs, ...(differences.length > 0 && { detail: differences.join('; ') }) };
    },
    async apply(step) {
      const out = await createOnceNameIsFree(step, queueName, () => sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: { ...FAILURE_QUEUE_ATTRIBUTES }, tags: names.tags })));
      return { queueName, queueUrl: out.QueueUrl!, queueArn };
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => sqs.send(new DeleteQueueCommand({ QueueUrl: outputs.queueUrl }))));
      // A deleted queue is still found for up to 60 s (DeleteQueue API reference): a re-run's check would take
      // the dying queue as done. Undo ends only once it is gone.
      await waitFor(
        async () => ((await urlOf(step)) ? { done: false, detail: 'queue is being deleted (SQS takes up to 60 s)' } : { done: true, value: undefined }),
        waitOptions(step, `queue ${queueName} to be deleted`),
      );
    },
  };
}

/** Reports of failed batches in the queue setup made: records the function gave up on, which only the stream still holds. */
async function failureQueueHealth(live: HealthContext): Promise<HealthReading> {
  const { config, consumer, names } = live.pipeline;
  if (config.failureDestination.kind !== 'queue') return {};
  const failed = await failedBatchesFinding(live.clock, consumer, { queueName: names.failureQueueName, streamName: config.streamName }, live.tailLogsCommand);
  return { findings: failed ? [failed] : [] };
}
