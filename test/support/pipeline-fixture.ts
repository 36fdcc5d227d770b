import { KinesisClient, PutRecordCommand, PutResourcePolicyCommand } from '@aws-sdk/client-kinesis';
import { CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { VirtualClock } from '../../src/engine/clock.js';
import { MemoryStateStore } from '../../src/deployment/store.js';
import { FakeCloud } from '../../src/sandbox/index.js';
import { bundledHandlerRuntime } from '../../src/sandbox/bundled-handler.js';
import { createHarness, seedDeploymentState, sessionFactoryFor } from './command-harness.js';
import { iamSimulateAccess } from './iam-simulate-access.js';

export const PRODUCER = '111111111111';
export const CONSUMER = '222222222222';
export const REGION = 'eu-west-1';
export const NAME = 'orders';
export const STREAM = 'orders-stream';
export const FUNCTION = 'orders-consumer';
export const LOG_GROUP = `/aws/lambda/${FUNCTION}`;

export interface PipelineOptions {
  /** Create the event source mapping disabled, as after `update-event-source-mapping --no-enabled`. */
  esmEnabled?: boolean;
  /** Leave out the mapping entirely (the function exists, nothing invokes it). */
  withoutEsm?: boolean;
}

/**
 * A working cross-account pipeline in the fake cloud, as setup would leave it (without KMS, which
 * these commands do not touch): a stream with an EFO consumer in the producer account, their
 * resource policies for the consumer role, the function and an Enabled mapping in the consumer
 * account. Plus the state file that points at it, and a harness that runs the CLI against it.
 */
export async function createPipeline(options: PipelineOptions = {}) {
  const clock = new VirtualClock();
  const cloud = new FakeCloud({ clock, access: iamSimulateAccess });
  cloud.install();
  cloud.addAccount(PRODUCER);
  cloud.addAccount(CONSUMER);
  cloud.setFunctionRuntime(bundledHandlerRuntime);

  const roleArn = `arn:aws:iam::${CONSUMER}:role/${FUNCTION}-role`;
  const streamArn = cloud.seedStream(PRODUCER, REGION, {
    name: STREAM,
    shards: 2,
    mode: 'PROVISIONED',
    consumers: [`${NAME}-efo`],
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'kds-xacct-orders',
          Effect: 'Allow',
          Principal: { AWS: roleArn },
          Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
          Resource: `arn:aws:kinesis:${REGION}:${PRODUCER}:stream/${STREAM}`,
        },
      ],
    },
  });
  const consumerArn = cloud.regionState(PRODUCER, REGION)!.streams.get(STREAM)!.consumers.get(`${NAME}-efo`)!.arn;
  cloud.seedRole(CONSUMER, {
    name: `${FUNCTION}-role`,
    policies: {
      read: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
            Resource: streamArn,
          },
          { Effect: 'Allow', Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'], Resource: consumerArn },
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `arn:aws:logs:${REGION}:${CONSUMER}:log-group:${LOG_GROUP}:*`,
          },
        ],
      },
    },
  });
  cloud.seedFunction(CONSUMER, REGION, { name: FUNCTION, role: roleArn });

  const producerKinesis = new KinesisClient({ region: REGION, credentials: cloud.credentialsFor(PRODUCER) });
  await producerKinesis.send(
    new PutResourcePolicyCommand({
      ResourceARN: consumerArn,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'kds-xacct-orders', Effect: 'Allow', Principal: { AWS: roleArn }, Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'], Resource: consumerArn },
        ],
      }),
    }),
  );
  clock.advance(cloud.latency.policyPropagation);

  let esmUuid = '00000000-0000-4000-a000-000000000000';
  if (!options.withoutEsm) {
    const lambda = new LambdaClient({ region: REGION, credentials: cloud.credentialsFor(CONSUMER) });
    const esm = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: FUNCTION,
        EventSourceArn: consumerArn,
        StartingPosition: 'TRIM_HORIZON',
        Enabled: options.esmEnabled ?? true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    esmUuid = esm.UUID!;
    // Enabled, and polling: a deployment set up a while ago.
    clock.advance(cloud.latency.esmCreate + cloud.latency.esmPollingStart);
  }

  const store = new MemoryStateStore();
  await seedDeploymentState(store, {
    name: NAME,
    region: REGION,
    producer: { profile: 'prod', accountId: PRODUCER },
    consumer: { profile: 'analytics', accountId: CONSUMER },
    streamName: STREAM,
    streamArn,
    consumerArn,
    functionName: FUNCTION,
    esmUuid,
  });
  const sessions = sessionFactoryFor({
    prod: { region: REGION, credentials: cloud.credentialsFor(PRODUCER) },
    analytics: { region: REGION, credentials: cloud.credentialsFor(CONSUMER) },
  });
  const harness = createHarness({ sessions, clock, store });

  /** Puts a record straight into the stream (not through the CLI), as some other producer would. */
  const putRecord = async (data: string, partitionKey = 'pk-1') => {
    const out = await producerKinesis.send(new PutRecordCommand({ StreamName: STREAM, Data: new TextEncoder().encode(data), PartitionKey: partitionKey }));
    return out.SequenceNumber!;
  };

  return { cloud, clock, store, sessions, harness, streamArn, consumerArn, roleArn, esmUuid, putRecord, restore: () => cloud.restore() };
}

export type Pipeline = Awaited<ReturnType<typeof createPipeline>>;
