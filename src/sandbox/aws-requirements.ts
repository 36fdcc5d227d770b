/**
 * What AWS requires for a Lambda event source mapping to read a Kinesis stream of another account through an
 * enhanced fan-out consumer, stated from AWS's public documentation, each line with its source and the words it
 * rests on. It is not derived from the product's policies (src/pipeline/policies.ts): the sandbox decides access
 * by it and the tests judge the product's policies by it, so a product that drops an action disagrees with AWS
 * instead of with itself. The product never imports it (.dependency-cruiser.cjs, aws-requirements-not-in-product),
 * and the tests never take the product's lists as the expected answer (test/sandbox/aws-requirements.test.ts).
 */

export interface Sourced {
  /** The public page (or repository and issue) this rests on. */
  source: string;
  /** The words of that source it rests on. */
  quote: string;
}

export interface RequiredAction extends Sourced {
  /** The IAM action, with its service prefix. */
  action: string;
}

const LAMBDA_KINESIS_GUIDE = 'AWS Lambda Developer Guide, "Process Amazon Kinesis Data Streams records with Lambda" (lambda/latest/dg/services-kinesis-create.html)';
const LAMBDA_NEEDS = 'Lambda needs the following permissions to manage resources related to your Kinesis data stream: kinesis:DescribeStream, kinesis:DescribeStreamSummary, kinesis:GetRecords, kinesis:GetShardIterator, kinesis:ListShards, kinesis:SubscribeToShard';
const KCL_PERMISSIONS = 'Amazon Kinesis Data Streams Developer Guide, "IAM permissions required for KCL consumer applications" (streams/latest/dev/kcl-iam-permissions.html)';
const EFO_ON_CONSUMER = 'SubscribeToShard, DescribeStreamConsumer … arn:aws:kinesis:region:account:stream/StreamName/consumer/* … Add this action only if you use enhanced fan-out (EFO) consumers.';
const KINESIS_SSE = 'Amazon Kinesis Data Streams Developer Guide, "Permissions to use user-generated KMS keys" (streams/latest/dev/permissions-user-key-KMS.html)';
const PUT_RESOURCE_POLICY = 'Kinesis API Reference, PutResourcePolicy (request patterns)';

/**
 * The actions the execution role must be allowed on the stream ARN, by its own policy and, across accounts, by
 * the stream's resource policy. `kinesis:ListStreams` is in Lambda's managed policy but lists the caller's own
 * account (Service Authorization Reference: no resource type), so no stream policy can grant it.
 */
export const LAMBDA_STREAM_ACTIONS: readonly RequiredAction[] = [
  { action: 'kinesis:DescribeStream', source: LAMBDA_KINESIS_GUIDE, quote: LAMBDA_NEEDS },
  { action: 'kinesis:DescribeStreamSummary', source: LAMBDA_KINESIS_GUIDE, quote: LAMBDA_NEEDS },
  { action: 'kinesis:GetRecords', source: LAMBDA_KINESIS_GUIDE, quote: LAMBDA_NEEDS },
  { action: 'kinesis:GetShardIterator', source: LAMBDA_KINESIS_GUIDE, quote: LAMBDA_NEEDS },
  { action: 'kinesis:ListShards', source: LAMBDA_KINESIS_GUIDE, quote: LAMBDA_NEEDS },
];

/**
 * The actions on the EFO consumer's ARN: SubscribeToShard takes the consumer's ARN, and DescribeStreamConsumer
 * across accounts must be given it ("When making a cross-account call with DescribeStreamConsumer, make sure to
 * provide the ARN of the consumer", Kinesis API Reference, DescribeStreamConsumer).
 */
export const LAMBDA_CONSUMER_ACTIONS: readonly RequiredAction[] = [
  { action: 'kinesis:DescribeStreamConsumer', source: KCL_PERMISSIONS, quote: EFO_ON_CONSUMER },
  { action: 'kinesis:SubscribeToShard', source: `${KCL_PERMISSIONS}; ${LAMBDA_KINESIS_GUIDE}`, quote: `${EFO_ON_CONSUMER} / ${LAMBDA_NEEDS}` },
];

/** The action on the stream's customer managed key: Kinesis decrypts the records with the reader's permissions. */
export const LAMBDA_KEY_ACTIONS: readonly RequiredAction[] = [
  {
    action: 'kms:Decrypt',
    source: KINESIS_SSE,
    quote: 'Your Kinesis stream consumers must have the kms:Decrypt permission. … AWS Lambda use roles to consume Kinesis streams. Make sure to add the kms:Decrypt permission to the roles that these consumers use.',
  },
];

/** The encryption context Kinesis passes to KMS: the key under which the stream's ARN is given. */
export const KINESIS_ENCRYPTION_CONTEXT: Sourced & { key: string; conditionKey: string } = {
  key: 'aws:kinesis:arn',
  conditionKey: 'kms:EncryptionContext:aws:kinesis:arn',
  source: KINESIS_SSE,
  quote: 'Kinesis Data Streams uses the stream ARN as the encryption context in all AWS KMS calls. "encryptionContext": { "aws:kinesis:arn": "arn:aws:kinesis:region:account-id:stream/stream-name" } … use the kms:EncryptionContext:aws:kinesis:arn condition key',
};

/** The forms of the ARNs the requirements name, as AWS documents them. */
export const ARN_FORMS: Record<'stream' | 'consumer' | 'key', Sourced & { pattern: RegExp }> = {
  stream: { pattern: /^arn:aws.*:kinesis:.*:\d{12}:.*stream\/\S+$/, source: PUT_RESOURCE_POLICY, quote: 'Data stream pattern: arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+' },
  consumer: {
    pattern: /^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+$/,
    source: PUT_RESOURCE_POLICY,
    quote: 'Consumer pattern: ^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+',
  },
  key: { pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, source: KINESIS_SSE, quote: '"Resource": "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"' },
};

/** The action names alone, in the order above. */
export const actionsOf = (required: readonly RequiredAction[]): string[] => required.map((r) => r.action);
