import { DeregisterStreamConsumerCommand, DescribeStreamConsumerCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import type { StepContext } from '../../engine/types.js';
import type { PipelineStep } from './pipeline-step.js';
import { waitFor } from '../../engine/wait.js';
import { UserError } from '../../errors.js';
import { arns } from '../names.js';
import { callAws, ifExists } from '../../aws/retry.js';
import { STEP, type PipelineContext, waitOptions } from './context.js';
import { repairFix, unreadable, type HealthContext, type HealthReading } from '../health-reading.js';
import { ignoreMissing, originOf } from './shared.js';
import { kinesisTags } from '../lookups.js';

/** The enhanced fan-out consumer the mapping reads through; it must be ACTIVE before its policy can be written. */
export function consumerStep(ctx: PipelineContext): PipelineStep {
  const { producer, names, config } = ctx;
  const kinesis = producer.clients.kinesis;
  const describe = async (step: StepContext, input: { ConsumerARN: string } | { StreamARN: string; ConsumerName: string }) =>
    (await ifExists(step.clock, () => kinesis.send(new DescribeStreamConsumerCommand(input))))?.ConsumerDescription;
  return {
    id: STEP.consumer,
    title: `EFO consumer ${config.consumerName}`,
    idOutput: 'consumerArn',
    goesWithStream: true,
    health: (live) => consumerHealth(live),
    removal: ({ outputs }) => `deregister EFO consumer ${outputs.consumerName ?? outputs.consumerArn ?? ''}`,
    account: 'producer',
    // Not after the encryption: RegisterStreamConsumer needs the stream ACTIVE, so the encryption starts after this call instead.
    dependsOn: [STEP.stream],
    async check(step) {
      const streamArn = arns.stream(producer.region, producer.accountId, config.streamName);
      const found = await describe(step, { StreamARN: streamArn, ConsumerName: config.consumerName });
      if (!found) return { status: 'missing' };
      if (found.ConsumerStatus === 'DELETING') throw new UserError(`EFO consumer ${config.consumerName} is being deregistered.`, 'Wait a minute, then run setup again.');
      const tagMap = await kinesisTags(step.clock, kinesis, found.ConsumerARN!);
      const origin = originOf(ctx, STEP.consumer, `EFO consumer ${config.consumerName}`, tagMap, '--consumer-name');
      return { status: 'done', origin, outputs: { consumerName: config.consumerName, consumerArn: found.ConsumerARN! } };
    },
    async apply(step) {
      const streamArn = step.outputsOf(STEP.stream).streamArn!;
      const out = await callAws(step.clock, () =>
        kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: config.consumerName, Tags: names.tags })),
      );
      return { consumerName: config.consumerName, consumerArn: out.Consumer!.ConsumerARN! };
    },
    async wait(step, outputs) {
      await waitFor(async () => {
        const found = await describe(step, { ConsumerARN: outputs.consumerArn! });
        if (!found) throw new Error(`EFO consumer ${outputs.consumerName} disappeared while waiting for it to be ACTIVE.`);
        return found.ConsumerStatus === 'ACTIVE' ? { done: true, value: undefined } : { done: false, detail: `consumer is ${found.ConsumerStatus}` };
      }, waitOptions(step, `EFO consumer ${outputs.consumerName} to be ACTIVE`));
    },
    async undo(step, outputs) {
      await ignoreMissing(() => callAws(step.clock, () => kinesis.send(new DeregisterStreamConsumerCommand({ ConsumerARN: outputs.consumerArn }))));
      await waitFor(async () => {
        const found = await describe(step, { ConsumerARN: outputs.consumerArn! });
        return found ? { done: false, detail: `consumer is ${found.ConsumerStatus}` } : { done: true, value: undefined };
      }, waitOptions(step, `EFO consumer ${outputs.consumerName} to be deregistered`));
    },
  };
}

/** The consumer's status: one still CREATING delivers nothing yet, one being deregistered never will. */
async function consumerHealth(live: HealthContext): Promise<HealthReading> {
  const { producer, config } = live.pipeline;
  const kinesis = producer.clients.kinesis;
  const consumerArn = live.outputsOf(STEP.consumer).consumerArn;
  const streamArn = live.outputsOf(STEP.stream).streamArn ?? arns.stream(producer.region, producer.accountId, config.streamName);
  const read = await live.read('consumer', () =>
    kinesis.send(new DescribeStreamConsumerCommand(consumerArn ? { ConsumerARN: consumerArn } : { StreamARN: streamArn, ConsumerName: config.consumerName })),
  );
  const findings = unreadable(live, read, STEP.consumer, 'producer', `EFO consumer ${config.consumerName}`);
  if (!read.ok) return { findings };
  const status = read.value.ConsumerDescription?.ConsumerStatus;
  if (status === 'CREATING') findings.push({ severity: 'warning', step: STEP.consumer, account: 'producer', message: `EFO consumer ${config.consumerName} is CREATING`, fix: 'wait a minute and run status again' });
  if (status === 'DELETING') findings.push({ severity: 'error', step: STEP.consumer, account: 'producer', message: `EFO consumer ${config.consumerName} is being deregistered`, fix: `once it is gone, ${repairFix(live)}` });
  return { ...(status && { state: status }), findings };
}
