/** What a Lambda function is to the model: the event it is invoked with and what running it does. */
export interface KinesisEventRecord {
  kinesis: { kinesisSchemaVersion: string; partitionKey: string; sequenceNumber: string; data: string; approximateArrivalTimestamp: number };
  eventSource: 'aws:kinesis';
  eventVersion: string;
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

export interface KinesisStreamEvent {
  Records: KinesisEventRecord[];
}

export type FunctionRuntime = (
  event: KinesisStreamEvent,
  log: (line: string) => void,
  context: { functionName: string; accountId: string; region: string; requestId: string },
) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> } | void>;
