import { CreateTopicCommand, DeleteTopicCommand, GetTopicAttributesCommand, ListTagsForResourceCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import type { StepContext } from '../../engine/types.js';
import { UserError } from '../../errors.js';
import { callAws, ifExists } from '../../aws/retry.js';
import { partitionOf } from '../names.js';
import type { HealthContext, HealthReading } from '../health-reading.js';
import type { PipelineStep } from './pipeline-step.js';
import { STEP, type PipelineContext } from './context.js';
import { ignoreMissing, originOf } from './shared.js';

/** The topic the alarms notify: the user's own (--alarm-topic), the one this step makes (--alarm-email), or none. */
export function alarmTopicArn(ctx: Pick<PipelineContext, 'consumer' | 'names' | 'config'>): string | undefined {
  const { alarms } = ctx.config;
  if (alarms.kind === 'topic') return alarms.arn;
  if (alarms.kind === 'none') return undefined;
  const { region, accountId } = ctx.consumer;
  return `arn:${partitionOf(region)}:sns:${region}:${accountId}:${ctx.names.alarmTopicName}`;
}

const confirmWarning = (address: string) => `SNS sends ${address} a message to confirm the subscription: the alarms email no one until it is confirmed`;

/**
 * The alarms live in the consumer account, which owns every metric they watch. A topic in another account
 * would need a topic policy that lets CloudWatch publish to it (AWS re:Post, "Why didn't I receive an SNS
 * notification for my CloudWatch alarm trigger?"), which setup can neither read nor make there: so
 * --alarm-topic must name a topic beside the alarms, where the caller can check it.
 */
function ensureTopicBesideAlarms(ctx: PipelineContext, arn: string): void {
  const [, , , region, account] = arn.split(':');
  const { accountId, region: home, profile } = ctx.consumer;
  if (region === home && account === accountId) return;
  throw new UserError(
    `--alarm-topic: ${arn} is in account ${account} (${region}), but the alarms are made in the consumer account ${accountId} (${home}), and notify a topic there.`,
    `Pass the ARN of an SNS topic in account ${accountId} and ${home} (profile ${profile}), or --alarm-email <address> for a topic setup makes.`,
  );
}

/** The SNS topic the alarms notify, made in the consumer account with an email subscription when --alarm-email asks for it. */
export function alarmTopicStep(ctx: PipelineContext): PipelineStep {
  const { consumer, names, config } = ctx;
  const topicName = names.alarmTopicName;
  const sns = () => consumer.clients.destinations.sns();
  const attributesOf = async (step: StepContext, arn: string) => (await ifExists(step.clock, async () => (await sns()).send(new GetTopicAttributesCommand({ TopicArn: arn }))))?.Attributes;
  return {
    id: STEP.alarmTopic,
    title: `alarm topic ${topicName}`,
    idOutput: 'topicArn',
    removal: ({ outputs }) => `delete alarm topic ${outputs.topicName ?? topicName} and its email subscription`,
    health: (live) => alarmTopicHealth(live),
    account: 'consumer',
    dependsOn: [],
    async check(step) {
      const alarms = config.alarms;
      if (alarms.kind === 'none') return { status: 'skip', detail: 'no alarms (--alarms)' };
      if (alarms.kind === 'topic') {
        ensureTopicBesideAlarms(ctx, alarms.arn);
        if (!(await attributesOf(step, alarms.arn))) {
          throw new UserError(`--alarm-topic: the SNS topic ${alarms.arn} does not exist.`, `Create it first, or pass --alarm-email <address> for a topic setup makes.`);
        }
        // The topic an earlier --alarm-email made stays recorded as ours, so that teardown still deletes it.
        const made = step.previous?.origin === 'created' ? step.previous.outputs : undefined;
        if (made && (await attributesOf(step, made.topicArn!))) {
          return { status: 'done', origin: 'created', outputs: made, detail: `the alarms notify ${alarms.arn} now; teardown deletes this topic an earlier --alarm-email made` };
        }
        return { status: 'skip', detail: `the alarms notify ${alarms.arn} (yours, kept)` };
      }
      const topicArn = alarmTopicArn(ctx)!;
      if (!(await attributesOf(step, topicArn))) return { status: 'missing', warnings: [confirmWarning(alarms.address)] };
      const tags = (await callAws(step.clock, async () => (await sns()).send(new ListTagsForResourceCommand({ ResourceArn: topicArn })))).Tags ?? [];
      const origin = originOf(ctx, STEP.alarmTopic, `SNS topic ${topicName}`, Object.fromEntries(tags.map((t) => [t.Key!, t.Value!])), '--name');
      const outputs = { topicName, topicArn, email: alarms.address };
      if (step.previous?.outputs.email !== alarms.address) {
        return { status: 'update', origin, outputs, detail: `subscribe ${alarms.address}`, warnings: [confirmWarning(alarms.address)] };
      }
      return { status: 'done', origin, outputs };
    },
    async apply(step) {
      // Only --alarm-email's topic is ever missing or out of date: the check skips the others.
      if (config.alarms.kind !== 'email') throw new Error(`the alarm topic step applies to --alarm-email only, not to ${config.alarms.kind}`);
      const address = config.alarms.address;
      const client = await sns();
      const created = await callAws(step.clock, () => client.send(new CreateTopicCommand({ Name: topicName, Tags: Object.entries(names.tags).map(([Key, Value]) => ({ Key, Value })) })));
      const outputs = { topicName, topicArn: created.TopicArn! };
      await step.record(outputs);
      await callAws(step.clock, () => client.send(new SubscribeCommand({ TopicArn: outputs.topicArn, Protocol: 'email', Endpoint: address })));
      step.progress(confirmWarning(address));
      return { ...outputs, email: address };
    },
    async undo(step, outputs) {
      const client = await sns();
      // DeleteTopic also deletes the topic's subscriptions (DeleteTopic API reference).
      await ignoreMissing(() => callAws(step.clock, () => client.send(new DeleteTopicCommand({ TopicArn: outputs.topicArn }))));
    },
  };
}

/** Whether someone receives the alarms: an email subscription not yet confirmed sends nothing. */
async function alarmTopicHealth(live: HealthContext): Promise<HealthReading> {
  const { pipeline } = live;
  const alarms = pipeline.config.alarms;
  if (alarms.kind !== 'email' || live.missing(STEP.alarmTopic)) return {};
  const topicArn = alarmTopicArn(pipeline)!;
  const read = await live.read(`topic ${topicArn}`, async () => (await pipeline.consumer.clients.destinations.sns()).send(new GetTopicAttributesCommand({ TopicArn: topicArn })));
  if (!read.ok) return {};
  const confirmed = Number(read.value.Attributes?.SubscriptionsConfirmed ?? '0');
  if (confirmed > 0) return { state: `${confirmed} confirmed subscription(s)` };
  return {
    state: 'subscription pending confirmation',
    findings: [
      {
        severity: 'warning',
        step: STEP.alarmTopic,
        account: 'consumer',
        message: `no one receives the alarms yet: ${alarms.address} has not confirmed the subscription`,
        fix: `open the message "AWS Notification - Subscription Confirmation" sent to ${alarms.address} and choose Confirm subscription`,
      },
    ],
  };
}
