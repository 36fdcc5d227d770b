import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';

/** Which side of the pipeline an account plays. */
export type AccountRole = 'producer' | 'consumer';

/** The SDK clients of one profile in one region. Steps receive only the clients they use. */
export interface AwsClients {
  kinesis: KinesisClient;
  kms: KMSClient;
  iam: IAMClient;
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  sqs: SQSClient;
  sts: STSClient;
  destinations: DestinationClients;
  /** Only status reads metrics: the CloudWatch SDK is imported on first use, as the destinations' are. */
  cloudwatch(): Promise<CloudWatchClient>;
}

/**
 * The clients only a user's SNS topic or S3 bucket as failure destination needs. Each SDK is imported on
 * first use, so that every other path (and `--help`) never loads it.
 */
export interface DestinationClients {
  sns(): Promise<SNSClient>;
  s3(): Promise<S3Client>;
}

/** A profile resolved to an account: who it is, where it works, and its clients. */
export interface AccountSession {
  role: AccountRole;
  profile: string;
  region: string;
  accountId: string;
  /** The caller ARN from STS GetCallerIdentity, shown to the user before anything is created. */
  callerArn: string;
  clients: AwsClients;
  /** A sandbox account (--sandbox): the AWS CLI cannot reach it. */
  simulated?: boolean;
}

export interface ConnectOptions {
  /** `--region`; when absent the profile's region, then AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** Asked for when a profile needs an MFA code. */
  mfaCodeProvider?: (mfaSerial: string) => Promise<string>;
}

/**
 * Turns profile names into sessions. The real one reads ~/.aws/config and credentials through
 * @aws-sdk/credential-providers; tests pass one that points clients at the fake cloud.
 */
export interface SessionFactory {
  /** Profile names found in the shared config and credentials files. */
  listProfiles(): Promise<string[]>;
  /** The region a profile names, if any, without resolving credentials. */
  profileRegion(profile: string): Promise<string | undefined>;
  /** Resolves credentials and calls STS GetCallerIdentity. Throws a UserError that says what to do. */
  connect(profile: string, role: AccountRole, options: ConnectOptions): Promise<AccountSession>;
}

/**
 * An AWS CLI command for a message, with the profile and region of the account it acts on, so that
 * it reaches that account when pasted (the default profile may be another account, or none). A sandbox
 * account has no AWS CLI: there the command is what would be run on AWS, with the profile to fill in, and says so.
 */
export function awsCommand(account: Pick<AccountSession, 'role' | 'profile' | 'region' | 'simulated'>, command: string): string {
  if (account.simulated) return `aws ${command} --profile <${account.role}-profile> --region ${account.region} # on AWS, not the sandbox`;
  return `aws ${command} --profile ${account.profile} --region ${account.region}`;
}
