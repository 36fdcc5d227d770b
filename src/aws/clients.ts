import type { CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { SNSClientConfig } from '@aws-sdk/client-sns';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider, Logger, MiddlewareStack } from '@aws-sdk/types';
import { SERVICE_IDS, type ConfiguredEndpoint, type ServiceKey } from './endpoints.js';
import type { AccountRole, AwsClients } from './session.js';
import { unreachableEndpointPlugin } from './unreachable.js';

/** Per-client settings that replace ours; `all` applies to every client first. Mostly for tests. */
export interface ClientOverrides {
  all?: { maxAttempts?: number; retryMode?: string; logger?: Logger };
  kinesis?: Partial<KinesisClientConfig>;
  kms?: Partial<KMSClientConfig>;
  iam?: Partial<IAMClientConfig>;
  lambda?: Partial<LambdaClientConfig>;
  logs?: Partial<CloudWatchLogsClientConfig>;
  sqs?: Partial<SQSClientConfig>;
  sts?: Partial<STSClientConfig>;
  sns?: Partial<SNSClientConfig>;
  s3?: Partial<S3ClientConfig>;
  cloudwatch?: Partial<CloudWatchClientConfig>;
}

/**
 * The SDK's standard retry mode with its default 3 attempts. Our own retry layer handles
 * throttling and propagation delays with its own budget; SDK retries underneath it multiply, so
 * they stay short and bounded.
 */
export const SDK_RETRY = { maxAttempts: 3, retryMode: 'standard' } as const;

export type ResolvedEndpoints = Partial<Record<ServiceKey, ConfiguredEndpoint>>;

interface ClientSettings {
  account: AccountRole;
  profile: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
  endpoints: ResolvedEndpoints;
  logger: Logger | undefined;
  overrides: ClientOverrides;
}

/** The clients of one session: the profile's credentials, region and endpoints, and short SDK retries. */
export function createClients({ account, profile, region, credentials, endpoints, logger, overrides }: ClientSettings): AwsClients {
  const common = {
    region,
    credentials,
    // `profile` makes the clients read the chosen profile's other settings (FIPS, dual-stack, app id).
    profile,
    ...SDK_RETRY,
    // The session factory resolved endpoints for this profile. Without this the SDK would add its own
    // choice, read from AWS_PROFILE's profile or [default], to every client with no endpoint.
    ignoreConfiguredEndpointUrls: true,
    ...(logger && { logger }),
    ...overrides.all,
  };
  const endpointOf = (service: ServiceKey) => {
    const endpoint = endpoints[service];
    return endpoint ? { endpoint: endpoint.url } : {};
  };
  const plugged = <C extends { middlewareStack: MiddlewareStack<any, any> }>(service: ServiceKey, client: C): C => {
    const configured = endpoints[service];
    client.middlewareStack.use(unreachableEndpointPlugin({ account, profile, region, service: SERVICE_IDS[service], ...(configured && { configured }) }));
    return client;
  };
  const eager = {
    kinesis: new KinesisClient({ ...common, ...endpointOf('kinesis'), ...overrides.kinesis }),
    kms: new KMSClient({ ...common, ...endpointOf('kms'), ...overrides.kms }),
    iam: new IAMClient({ ...common, ...endpointOf('iam'), ...overrides.iam }),
    lambda: new LambdaClient({ ...common, ...endpointOf('lambda'), ...overrides.lambda }),
    logs: new CloudWatchLogsClient({
      ...common,
      ...endpointOf('logs'),
      // StartLiveTail prepends a host prefix ("stream-" in this SDK version) that a custom
      // endpoint such as localhost does not have.
      ...(endpoints.logs && { disableHostPrefix: true }),
      ...overrides.logs,
    }),
    sqs: new SQSClient({ ...common, ...endpointOf('sqs'), ...overrides.sqs }),
    sts: new STSClient({ ...common, ...endpointOf('sts'), ...overrides.sts }),
  };
  for (const [service, client] of Object.entries(eager)) plugged(service as ServiceKey, client);
  return {
    ...eager,
    destinations: {
      sns: once(async () => plugged('sns', new (await import('@aws-sdk/client-sns')).SNSClient({ ...common, ...endpointOf('sns'), ...overrides.sns }))),
      s3: once(async () =>
        plugged(
          's3',
          new (await import('@aws-sdk/client-s3')).S3Client({
            ...common,
            ...endpointOf('s3'),
            // A bucket ARN names no region: the SDK follows S3's redirect to the bucket's own region.
            followRegionRedirects: true,
            // A custom endpoint (an emulator on localhost) has no per-bucket host names.
            ...(endpoints.s3 && { forcePathStyle: true }),
            ...overrides.s3,
          }),
        ),
      ),
    },
    cloudwatch: once(async () => plugged('cloudwatch', new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient({ ...common, ...endpointOf('cloudwatch'), ...overrides.cloudwatch }))),
  };
}

/** Calls `make` the first time only, and hands every caller that first result. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
