/**
 * Error responses as AWS really returns them, each quoted from a public source with its code and HTTP status.
 * The tests hold every matcher of the product (the retries and diagnoses that read an error's code or text) to
 * these texts, and the sandbox words its errors with the templates here, each of which reproduces its quoted
 * example (test/sandbox/aws-error-texts.test.ts). Like aws-requirements.ts, the product may not import it: a
 * matcher written against our own wording would otherwise pass against our own wording.
 */

export interface AwsErrorText {
  service: 'Lambda' | 'Kinesis' | 'KMS';
  operation: string;
  code: string;
  status: number;
  /** The message exactly as the source quotes it (account ids and names as masked there). */
  example: string;
  /** Where it is quoted: the page, or the repository and issue. */
  source: string;
}

export const LAMBDA_ROLE_NOT_ASSUMABLE = {
  service: 'Lambda',
  operation: 'CreateFunction',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'The role defined for the function cannot be assumed by Lambda.',
  source: 'hashicorp/terraform-provider-aws#44517 (a new role refused for over 5 minutes); AWS Lambda Developer Guide, "Troubleshoot deployment issues in Lambda"',
  text: () => 'The role defined for the function cannot be assumed by Lambda.',
} as const satisfies AwsErrorText & { text: () => string };

export const LAMBDA_UPDATE_IN_PROGRESS = {
  service: 'Lambda',
  operation: 'UpdateFunctionConfiguration',
  code: 'ResourceConflictException',
  status: 409,
  example: 'The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:my-function',
  source: 'claudiajs/claudia#226; rackerlabs/lambda-uploader#169',
  text: (functionArn: string) => `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn}`,
} as const satisfies AwsErrorText & { text: (functionArn: string) => string };

export const LAMBDA_CANNOT_ACCESS_STREAM = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'Cannot access stream arn:aws:kinesis:eu-west-1:*****:stream/*****. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM.',
  source: 'aws-samples/cross-account-amazon-dynamodb-replication#11 ("Service: Lambda, Status Code: 400"); the older wording without ListShards in alertlogic/cwe-collector#2',
  text: (streamArn: string) => `Cannot access stream ${streamArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM.`,
} as const satisfies AwsErrorText & { text: (streamArn: string) => string };

/** The same refusal in the words used before ListShards was required. */
export const LAMBDA_CANNOT_ACCESS_STREAM_OLDER: AwsErrorText = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'Cannot access stream arn:aws:kinesis:eu-west-1:352283894008:stream/aturkin-3-KinesisStream-7AI56KZMQ3AL. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.',
  source: 'alertlogic/cwe-collector#2',
};

export const LAMBDA_MAPPING_EXISTS = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'ResourceConflictException',
  status: 409,
  example: 'The event source arn (arn:aws:kinesis:us-east-1:108206174331:stream/jazz20171210-events-hub-dev) and function (jazz20171210-hndlr-dev) provided mapping already exists. Please update or delete the existing mapping with UUID 106257e3-ec6a-4fb2-af2d-f26f163a603d',
  source: 'tmobile/jazz#74 (a Kinesis source); the status, 409, and the SQS wording in DataBiosphere/azul#3399',
  text: (eventSourceArn: string, functionName: string, uuid: string) =>
    `The event source arn (${eventSourceArn}) and function (${functionName}) provided mapping already exists. Please update or delete the existing mapping with UUID ${uuid}`,
} as const satisfies AwsErrorText & { text: (eventSourceArn: string, functionName: string, uuid: string) => string };

/** The same conflict for an SQS source, as Lambda words it now. */
export const LAMBDA_MAPPING_EXISTS_SQS: AwsErrorText = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'ResourceConflictException',
  status: 409,
  example: 'An event source mapping with SQS arn (" arn:aws:sqs:us-east-1:542754589326:azul-tallies_retry-prod.fifo ") and function (" azul-indexer-prod-aggregate_retry ") already exists. Please update or delete the existing mapping with UUID 2bac96f9-a36e-4017-a5a4-aa977086a2b6',
  source: 'DataBiosphere/azul#3399',
};

export const LAMBDA_FUNCTION_NOT_FOUND: AwsErrorText = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'Function does not exist',
  source: 'hashicorp/terraform-provider-aws#17933 (StatusCode 400)',
};

export const KINESIS_RATE_EXCEEDED_FOR_STREAM: AwsErrorText = {
  service: 'Kinesis',
  operation: 'DescribeStream',
  code: 'LimitExceededException',
  status: 400,
  example: 'Rate exceeded for stream request_counters_temp under account XXXXXXXX.',
  source: 'boto/botocore#821 (the response body); the status in awslabs/amazon-kinesis-scaling-utils#52',
};

export const KINESIS_RATE_EXCEEDED_FOR_ACCOUNT = {
  service: 'Kinesis',
  operation: 'ListStreams',
  code: 'LimitExceededException',
  status: 400,
  example: 'Rate exceeded for account 943582610889.',
  source: 'Graylog2/graylog-plugin-integrations#341 ("Service: Kinesis, Status Code: 400")',
  text: (accountId: string) => `Rate exceeded for account ${accountId}.`,
} as const satisfies AwsErrorText & { text: (accountId: string) => string };

export const KINESIS_RATE_EXCEEDED_FOR_SHARD: AwsErrorText = {
  service: 'Kinesis',
  operation: 'GetRecords',
  code: 'ProvisionedThroughputExceededException',
  status: 400,
  example: 'Rate exceeded for shard shardId-000000000000 in stream xxxxxx under account xxxxxxxxx.',
  source: 'rclark/kinesis-readable#4 (statusCode 400)',
};

/**
 * A quota, not throttling: the same code as a rate. Quoted from kinesalite, which reproduces AWS's wording; AWS's
 * own response for it was not found quoted.
 */
export const KINESIS_SHARD_QUOTA: AwsErrorText = {
  service: 'Kinesis',
  operation: 'CreateStream',
  code: 'LimitExceededException',
  status: 400,
  example: 'This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard count for the account: 4. Limit: 3. Number of additional shards that would have resulted from this request: 1.',
  source: 'mhart/kinesalite#72 (the emulator\'s copy of the message)',
};

export const KINESIS_CONSUMER_NOT_ACTIVE = {
  service: 'Kinesis',
  operation: 'PutResourcePolicy',
  code: 'ResourceInUseException',
  status: 400,
  example: 'Consumer my-consumer with creation timestamp 1700000000 under stream my-stream and account 123456789012 is not in ACTIVE status.',
  source: 'aws-cloudformation/cloudformation-coverage-roadmap#2442 (names and numbers replaced)',
  text: (consumerName: string, creationEpochSeconds: number, streamName: string, accountId: string) =>
    `Consumer ${consumerName} with creation timestamp ${creationEpochSeconds} under stream ${streamName} and account ${accountId} is not in ACTIVE status.`,
} as const satisfies AwsErrorText & { text: (consumerName: string, creationEpochSeconds: number, streamName: string, accountId: string) => string };

export const KMS_INVALID_PRINCIPAL = {
  service: 'KMS',
  operation: 'CreateGrant',
  code: 'InvalidArnException',
  status: 400,
  example: 'ARN does not refer to a valid principal: arn:aws:iam::123456789012:role/my-new-role',
  source: 'hashicorp/terraform-provider-aws#3038 (retried while "a newly created IAM Role doesn\'t show up"); the message as Lambda relays it ("KMS Exception: InvalidArnException KMS Message: ARN does not refer to a valid principal: arn:…")',
  text: (principalArn: string) => `ARN does not refer to a valid principal: ${principalArn}`,
} as const satisfies AwsErrorText & { text: (principalArn: string) => string };

export const KINESIS_KMS_ACCESS_DENIED = {
  service: 'Kinesis',
  operation: 'GetRecords',
  code: 'KMSAccessDeniedException',
  status: 400,
  example: 'User arn:aws:sts::123456789012:assumed-role/reader/session is not authorized to decrypt records in stream arn:aws:kinesis:us-east-1:123456789012:stream/my-stream.',
  source: 'spring-cloud/spring-cloud-stream-binder-aws-kinesis#188 (names replaced)',
  text: (principalArn: string, streamArn: string) => `User ${principalArn} is not authorized to decrypt records in stream ${streamArn}.`,
} as const satisfies AwsErrorText & { text: (principalArn: string, streamArn: string) => string };

/** Every entry, for the tests that check each has a source. */
export const AWS_ERROR_TEXTS: readonly AwsErrorText[] = [
  LAMBDA_ROLE_NOT_ASSUMABLE,
  LAMBDA_UPDATE_IN_PROGRESS,
  LAMBDA_CANNOT_ACCESS_STREAM,
  LAMBDA_CANNOT_ACCESS_STREAM_OLDER,
  LAMBDA_MAPPING_EXISTS,
  LAMBDA_MAPPING_EXISTS_SQS,
  LAMBDA_FUNCTION_NOT_FOUND,
  KINESIS_RATE_EXCEEDED_FOR_STREAM,
  KINESIS_RATE_EXCEEDED_FOR_ACCOUNT,
  KINESIS_RATE_EXCEEDED_FOR_SHARD,
  KINESIS_SHARD_QUOTA,
  KINESIS_CONSUMER_NOT_ACTIVE,
  KMS_INVALID_PRINCIPAL,
  KINESIS_KMS_ACCESS_DENIED,
];
