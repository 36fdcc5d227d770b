/**
 * How long the fake cloud's asynchronous work takes, in virtual milliseconds.
 *
 * The numbers are typical values, not worst cases: the benchmark compares setup's simulated duration
 * with the critical path these numbers imply, so they should look like a normal day in us-east-1.
 */
export interface LatencyModel {
  /** Kinesis CreateStream: CREATING until ACTIVE. */
  streamCreate: number;
  /** Kinesis DeleteStream: DELETING until the stream is gone. */
  streamDelete: number;
  /** Kinesis StartStreamEncryption: UPDATING until ACTIVE. */
  encryption: number;
  /** Kinesis RegisterStreamConsumer: CREATING until ACTIVE. */
  consumerCreate: number;
  /** Kinesis DeregisterStreamConsumer: DELETING until gone. */
  consumerDelete: number;
  /** IAM: a new role (and its inline policies) before Lambda can assume it or evaluate them. */
  iamPropagation: number;
  /** Lambda CreateFunction: Pending until Active. */
  functionCreate: number;
  /** Lambda UpdateFunctionCode / UpdateFunctionConfiguration: LastUpdateStatus InProgress until Successful. */
  functionUpdate: number;
  /** Lambda CreateEventSourceMapping / enabling: Creating/Enabling until Enabled. */
  esmCreate: number;
  /** Lambda DeleteEventSourceMapping / disabling: Deleting/Disabling until gone/Disabled. */
  esmDelete: number;
  /** From a mapping becoming Enabled until it starts polling the stream: LATEST starts reading only then. */
  esmPollingStart: number;
  /** Kinesis PutResourcePolicy / DeleteResourcePolicy before the new document is enforced. */
  policyPropagation: number;
  /** KMS CreateGrant / RetireGrant / RevokeGrant before the change is enforced. */
  grantPropagation: number;
  /** From a record's arrival until an Enabled ESM has invoked the function with it. */
  esmDelivery: number;
  /** How long an ESM waits before it reads again after a read failed (access denied, KMS). */
  esmReadRetry: number;
  /** SQS DeleteQueue: until the queue is gone; meanwhile it is still found and answers. */
  queueDelete: number;
  /** SQS DeleteQueue: until CreateQueue takes the same name again (QueueDeletedRecently before). */
  queueNameReuse: number;
  /** Every API round trip (0 disables). */
  apiCall: number;
}

export const defaultLatency: LatencyModel = {
  // No documented figure; CreateStream returns CREATING and, in practice, a small stream is ACTIVE in
  // 10-30 s (the SDK's waitUntilStreamExists polls every 10 s for that reason). Middle of that range.
  streamCreate: 20_000,
  // Deletion of a small stream is observed to finish in roughly 10-20 s.
  streamDelete: 15_000,
  // StartStreamEncryption API reference: "Updating or applying encryption normally takes a few seconds
  // to complete, but it can take minutes."
  encryption: 5_000,
  // Observed: a newly registered EFO consumer is ACTIVE after about 5-10 s (CloudFormation's consumer
  // resource reports complete before that, which is why consumer policies fail with "not in ACTIVE status").
  consumerCreate: 8_000,
  // Deregistration is observed to take a few seconds.
  consumerDelete: 5_000,
  // IAM is eventually consistent; "The role defined for the function cannot be assumed by Lambda" is
  // commonly seen for ~10 s after CreateRole (tools such as Terraform retry for up to 2 min).
  iamPropagation: 10_000,
  // A zip-packaged function without a VPC usually leaves Pending within a few seconds.
  functionCreate: 3_000,
  // UpdateFunctionConfiguration API reference: "If your function connects to a VPC, this process can take a
  // minute"; ours has no VPC, so a few seconds, like creating it.
  functionUpdate: 3_000,
  // An EFO Kinesis ESM takes tens of seconds to reach Enabled (design notes: polling can take minutes).
  esmCreate: 30_000,
  // ESM deletion is observed to take tens of seconds as well.
  esmDelete: 20_000,
  // Lambda developer guide, "Process Amazon Kinesis Data Streams records with Lambda", polling and stream
  // starting position: "During event source mapping creation, it may take several minutes to start polling
  // events from the stream." That is the worst case and no typical figure is given: five seconds, so that
  // right after setup the first reads still come before a new grant is in effect (see grantPropagation).
  esmPollingStart: 5_000,
  // Resource policies are eventually consistent like IAM; assume the same order of magnitude, a bit less.
  policyPropagation: 5_000,
  // CreateGrant API reference: "there might be a brief delay, usually less than five minutes, until the grant
  // is available throughout KMS"; the KMS developer guide (Using a grant token): "typically ... less than a few
  // seconds ..., but in some cases it can take several minutes". Our grant names a role made in another account
  // moments before, and Lambda cannot pass the grant token, so assume a minute: longer than the rest of setup
  // takes after CreateGrant, as the design notes expect ("right after setup, the mapping's first reads can
  // fail"). Tests raise it up to the five minutes the API reference gives.
  grantPropagation: 60_000,
  // EFO pushes records with ~70 ms propagation; add the Lambda invoke. One second is a round figure.
  esmDelivery: 1_000,
  // Not documented. Lambda retries a failed read "until the records expire or exceed the maximum age" (Lambda
  // developer guide, Kinesis error handling); a few seconds between attempts, like its one-per-second polling of a standard iterator
  // backed off a little.
  esmReadRetry: 5_000,
  // DeleteQueue API reference: "the deletion process takes up to 60 seconds. Requests you send involving that
  // queue during the 60 seconds might succeed". No typical figure is published: half of that.
  queueDelete: 30_000,
  // DeleteQueue API reference: "you must wait at least 60 seconds before creating a queue with the same name".
  queueNameReuse: 60_000,
  // A same-region HTTPS round trip to an AWS endpoint: tens of milliseconds.
  apiCall: 50,
};

/**
 * The model with every duration divided by `speed`: how the sandbox makes a setup take seconds while its
 * clock stays the wall clock. Only AWS's waits live in this model; periods AWS states as facts about time
 * (record and message retention, a key's deletion date, an iterator's five minutes, a Live Tail session's
 * three hours) are kept elsewhere and stay real.
 */
export function shortenedLatency(model: LatencyModel, speed: number): LatencyModel {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`shortenedLatency: the speed factor must be a positive number, got ${speed}`);
  return Object.fromEntries(Object.entries(model).map(([wait, ms]) => [wait, ms / speed])) as unknown as LatencyModel;
}
