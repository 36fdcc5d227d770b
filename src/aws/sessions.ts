import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandInput, type STSClientConfig } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@aws-sdk/types';
import { UserError, errorMessage } from '../errors.js';
import { describeConnectError } from './connect-errors.js';
import { createSdkDebugLogger, redactText } from './debug-log.js';
import { SERVICE_IDS, configuredEndpoint, type ConfiguredEndpoint, type ServiceKey } from './endpoints.js';
import type { AccountRole, AccountSession, AwsClients, ConnectOptions, SessionFactory } from './session.js';
import { loadSharedConfig, profileNames, profileSettings, type IniSection, type SharedConfigFiles } from './shared-config.js';

export { createSdkDebugLogger, redact, redactText } from './debug-log.js';
export type { SharedConfigFiles } from './shared-config.js';

/** Per-client settings that replace ours; `all` applies to every client first. Mostly for tests. */
export interface ClientOverrides {
  all?: { maxAttempts?: number; retryMode?: string; logger?: Logger };
  kinesis?: Partial<KinesisClientConfig>;
  kms?: Partial<KMSClientConfig>;
  iam?: Partial<IAMClientConfig>;
  lambda?: Partial<LambdaClientConfig>;
  logs?: Partial<CloudWatchLogsClientConfig>;
  sts?: Partial<STSClientConfig>;
}

export interface SessionFactoryDeps {
  /** Defaults to process.env. Also decides which files are read (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE). */
  env?: NodeJS.ProcessEnv;
  /** Defaults to reading the shared config and credentials files with the SDK's own parser. */
  loadConfigFiles?: () => Promise<SharedConfigFiles>;
  /** Defaults to `fromIni`. Called at most once per profile per factory. */
  credentialsFor?: (profile: string, options: ConnectOptions) => AwsCredentialIdentityProvider;
  clientOverrides?: ClientOverrides;
  /** `--debug` output: how region and endpoints were chosen, and every SDK request, redacted. */
  logger?: (line: string) => void;
}

/**
 * The SDK's standard retry mode with its default 3 attempts. Our own retry layer handles
 * throttling and propagation delays with its own budget; SDK retries underneath it multiply, so
 * they stay short and bounded.
 */
const SDK_RETRY = { maxAttempts: 3, retryMode: 'standard' } as const;

/** Refresh memoized credentials this long before they expire, as the SDK does for its own cache. */
const CREDENTIAL_REFRESH_WINDOW_MS = 5 * 60_000;

/** What the SDK accepts as a region (a host label); catches typos such as "eu west 1" early. */
const REGION_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function createSessionFactory(deps: SessionFactoryDeps = {}): SessionFactory {
  const env = deps.env ?? process.env;
  const debug = deps.logger;
  const sdkLogger = debug ? createSdkDebugLogger(debug) : undefined;
  const credentialsFor: CredentialsFor = deps.credentialsFor ?? defaultCredentialsFor(env, sdkLogger);
  const overrides = deps.clientOverrides ?? {};

  let files: Promise<SharedConfigFiles> | undefined;
  const loadFiles = (): Promise<SharedConfigFiles> => (files ??= (deps.loadConfigFiles ?? (() => loadSharedConfig(env)))());

  // One provider per profile: six clients and a producer/consumer pair on the same profile share
  // one SSO fetch, one role assumption and, above all, one MFA prompt.
  const providers = new Map<string, AwsCredentialIdentityProvider>();
  const credentialsOf = (profile: string, options: ConnectOptions, target: CredentialTarget, fromEnvironment: boolean) => {
    let provider = providers.get(profile);
    if (!provider) {
      provider = memoizeCredentials(fromEnvironment ? environmentCredentials(env) : credentialsFor(profile, options, target));
      providers.set(profile, provider);
    }
    return provider;
  };

  return {
    async listProfiles() {
      return profileNames(await loadFiles());
    },

    async profileRegion(profile) {
      const settings = profileSettings(await loadFiles(), profile);
      return settings?.region || undefined;
    },

    async connect(profile, role, options) {
      const loaded = await loadFiles();
      const fileSettings = profileSettings(loaded, profile);
      const fromEnvironment = !fileSettings && environmentCredentialsApply(profile, env);
      if (!fileSettings && !fromEnvironment) throw unknownProfile(profile, profileNames(loaded), env);
      const settings: IniSection = fileSettings ?? {};

      const region = resolveRegion(profile, settings, options, env);
      const endpoints = resolveEndpoints(profile, settings, loaded, env);
      debug?.(describeResolution(profile, role, region, endpoints, fromEnvironment));

      const target: CredentialTarget = { region: region.value, ...(endpoints.sts && { stsEndpoint: endpoints.sts.url }) };
      const credentials = credentialsOf(profile, options, target, fromEnvironment);
      const clients = createClients({ profile, region: region.value, credentials, endpoints, logger: sdkLogger, overrides });

      let identity;
      try {
        identity = await clients.sts.send(new GetCallerIdentityCommand({}));
      } catch (error) {
        debug?.(`[aws] profile "${profile}": GetCallerIdentity failed: ${redactText(errorMessage(error))}`);
        throw describeConnectError(error, { profile, region: region.value, ...(endpoints.sts && { stsEndpoint: endpoints.sts.url }) });
      }
      if (!identity.Account || !identity.Arn) {
        throw new Error(`STS GetCallerIdentity for profile "${profile}" returned no account id or ARN.`);
      }
      return { role, profile, region: region.value, accountId: identity.Account, callerArn: identity.Arn, clients };
    },
  };
}

export interface ConnectBothOptions {
  producerProfile: string;
  consumerProfile: string;
  /** `--region`: used for both accounts. */
  region?: string;
  mfaCodeProvider?: (mfaSerial: string) => Promise<string>;
}

export interface ConnectedAccounts {
  producer: AccountSession;
  consumer: AccountSession;
  /** Both profiles reach the same account. Allowed; the caller says so. */
  sameAccount: boolean;
}

/**
 * Resolves both profiles at once and refuses, before anything is changed, when they end up in
 * different regions. When both fail, both failures are reported.
 */
export async function connectBoth(factory: SessionFactory, options: ConnectBothOptions): Promise<ConnectedAccounts> {
  const { producerProfile, consumerProfile } = options;
  if (!options.region) {
    // Check what the profiles name before resolving credentials, so nobody types an MFA code or
    // refreshes an SSO session only to be told the regions differ.
    const [producerRegion, consumerRegion] = await Promise.all([
      factory.profileRegion(producerProfile),
      factory.profileRegion(consumerProfile),
    ]);
    if (producerRegion && consumerRegion && producerRegion !== consumerRegion) {
      throw regionMismatch(producerProfile, producerRegion, consumerProfile, consumerRegion);
    }
  }

  const connectOptions: ConnectOptions = {
    ...(options.region && { region: options.region }),
    // Two profiles may both want a code; one prompt at a time.
    ...(options.mfaCodeProvider && { mfaCodeProvider: oneAtATime(options.mfaCodeProvider) }),
  };
  const [producer, consumer] = await Promise.allSettled([
    factory.connect(producerProfile, 'producer', connectOptions),
    factory.connect(consumerProfile, 'consumer', connectOptions),
  ]);

  if (producer.status === 'rejected' && consumer.status === 'rejected') {
    throw bothFailed(producerProfile, producer.reason, consumerProfile, consumer.reason);
  }
  if (producer.status === 'rejected') throw producer.reason;
  if (consumer.status === 'rejected') throw consumer.reason;

  if (producer.value.region !== consumer.value.region) {
    throw regionMismatch(producerProfile, producer.value.region, consumerProfile, consumer.value.region);
  }
  return {
    producer: producer.value,
    consumer: consumer.value,
    sameAccount: producer.value.accountId === consumer.value.accountId,
  };
}

interface ResolvedRegion {
  value: string;
  source: string;
}

/**
 * `--region`, then the profile's `region`, then AWS_REGION, then AWS_DEFAULT_REGION. This is the
 * product's rule (DESIGN.md "Region"): the profile outranks the environment here, unlike the SDK's
 * own loader, so each of the two profiles keeps the region it names.
 */
function resolveRegion(profile: string, settings: IniSection, options: ConnectOptions, env: NodeJS.ProcessEnv): ResolvedRegion {
  const candidates: [string | undefined, string][] = [
    [options.region, '--region'],
    [settings.region, `region of profile "${profile}"`],
    [env.AWS_REGION, 'AWS_REGION'],
    [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION'],
  ];
  for (const [value, source] of candidates) {
    if (!value) continue;
    if (!REGION_NAME.test(value)) {
      throw new UserError(
        `"${value}" (from ${source}) is not a valid AWS region name for profile "${profile}".`,
        'Use a region code such as eu-west-1 or us-east-1.',
      );
    }
    return { value, source };
  }
  throw new UserError(
    `No region is set for profile "${profile}".`,
    `Pass --region <region>, or set region in the profile: aws configure set region <region> --profile ${profile}`,
  );
}

type ResolvedEndpoints = Partial<Record<ServiceKey, ConfiguredEndpoint>>;

function resolveEndpoints(profile: string, settings: IniSection, files: SharedConfigFiles, env: NodeJS.ProcessEnv): ResolvedEndpoints {
  const endpoints: ResolvedEndpoints = {};
  for (const service of Object.keys(SERVICE_IDS) as ServiceKey[]) {
    const endpoint = configuredEndpoint(service, { env, profile, settings, files });
    if (endpoint) endpoints[service] = endpoint;
  }
  return endpoints;
}

interface ClientSettings {
  profile: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
  endpoints: ResolvedEndpoints;
  logger: Logger | undefined;
  overrides: ClientOverrides;
}

function createClients({ profile, region, credentials, endpoints, logger, overrides }: ClientSettings): AwsClients {
  const common = {
    region,
    credentials,
    // `profile` makes the clients read the chosen profile's other settings (FIPS, dual-stack, app id).
    profile,
    ...SDK_RETRY,
    // We resolved endpoints for this profile above. Without this the SDK would add its own
    // choice, read from AWS_PROFILE's profile or [default], to every client with no endpoint.
    ignoreConfiguredEndpointUrls: true,
    ...(logger && { logger }),
    ...overrides.all,
  };
  const endpointOf = (service: ServiceKey) => {
    const endpoint = endpoints[service];
    return endpoint ? { endpoint: endpoint.url } : {};
  };
  return {
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
    sts: new STSClient({ ...common, ...endpointOf('sts'), ...overrides.sts }),
  };
}

/** Where the connecting profile's own STS calls go; role assumption follows it. */
interface CredentialTarget {
  region: string;
  stsEndpoint?: string;
}

type CredentialsFor = (profile: string, options: ConnectOptions, target: CredentialTarget) => AwsCredentialIdentityProvider;

function defaultCredentialsFor(env: NodeJS.ProcessEnv, logger: Logger | undefined): CredentialsFor {
  return (profile, options, target) =>
    fromIni({
      profile,
      roleAssumer: assumeRoleVia(target, logger),
      // The same files we read, even when `env` is not process.env.
      ...(env.AWS_SHARED_CREDENTIALS_FILE && { filepath: env.AWS_SHARED_CREDENTIALS_FILE }),
      ...(env.AWS_CONFIG_FILE && { configFilepath: env.AWS_CONFIG_FILE }),
      ...(options.mfaCodeProvider && { mfaCodeProvider: options.mfaCodeProvider }),
      // Read the files afresh: the SDK otherwise caches them for the life of the process.
      ignoreCache: true,
      ...(logger && { logger }),
    });
}

/**
 * AssumeRole for role_arn profiles, sent where this profile's STS calls go. The SDK's own role
 * assumer takes its endpoint from AWS_PROFILE's profile or [default] instead, so a role profile
 * pointed at a local endpoint would assume its role against another endpoint (or real AWS).
 */
function assumeRoleVia(target: CredentialTarget, logger: Logger | undefined) {
  return async (sourceCredentials: AwsCredentialIdentity, params: AssumeRoleCommandInput): Promise<AwsCredentialIdentity> => {
    const sts = new STSClient({
      region: target.region,
      credentials: sourceCredentials,
      ...SDK_RETRY,
      ignoreConfiguredEndpointUrls: true,
      ...(target.stsEndpoint && { endpoint: target.stsEndpoint }),
      ...(logger && { logger }),
    });
    const { Credentials: assumed, AssumedRoleUser: user } = await sts.send(new AssumeRoleCommand(params));
    if (!assumed?.AccessKeyId || !assumed.SecretAccessKey) {
      throw new Error(`STS AssumeRole for ${params.RoleArn} returned no credentials.`);
    }
    const accountId = user?.Arn?.split(':')[4];
    return {
      accessKeyId: assumed.AccessKeyId,
      secretAccessKey: assumed.SecretAccessKey,
      ...(assumed.SessionToken && { sessionToken: assumed.SessionToken }),
      ...(assumed.Expiration && { expiration: assumed.Expiration }),
      ...(accountId && { accountId }),
    };
  };
}

/**
 * Environment credentials stand in only for `default`, and only when no file defines it: CI jobs
 * that export AWS_ACCESS_KEY_ID and name no profile. A named profile always means that profile.
 */
function environmentCredentialsApply(profile: string, env: NodeJS.ProcessEnv): boolean {
  return profile === 'default' && Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
}

function environmentCredentials(env: NodeJS.ProcessEnv): AwsCredentialIdentityProvider {
  const credentials: AwsCredentialIdentity = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
    ...(env.AWS_CREDENTIAL_EXPIRATION && { expiration: new Date(env.AWS_CREDENTIAL_EXPIRATION) }),
  };
  return async () => credentials;
}

/**
 * Shares one in-flight resolution between concurrent callers and keeps the result until shortly
 * before it expires. A failure is not kept, so the next call tries again.
 */
function memoizeCredentials(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let resolved: AwsCredentialIdentity | undefined;
  let inFlight: Promise<AwsCredentialIdentity> | undefined;
  const fresh = (credentials: AwsCredentialIdentity) =>
    !credentials.expiration || credentials.expiration.getTime() - Date.now() > CREDENTIAL_REFRESH_WINDOW_MS;
  return (identityProperties) => {
    if (resolved && fresh(resolved)) return Promise.resolve(resolved);
    inFlight ??= provider(identityProperties)
      .then((credentials) => {
        resolved = credentials;
        return credentials;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

function oneAtATime<R>(fn: (arg: string) => Promise<R>): (arg: string) => Promise<R> {
  let queue: Promise<unknown> = Promise.resolve();
  return (arg) => {
    const run = queue.then(() => fn(arg));
    // The queue only orders calls; each caller still gets its own rejection through `run`.
    queue = run.catch(() => undefined);
    return run;
  };
}

function unknownProfile(profile: string, known: string[], env: NodeJS.ProcessEnv): UserError {
  const configPath = env.AWS_CONFIG_FILE || '~/.aws/config';
  const credentialsPath = env.AWS_SHARED_CREDENTIALS_FILE || '~/.aws/credentials';
  const knownText = known.length > 0 ? `Known profiles: ${known.join(', ')}.` : 'No profiles are configured.';
  return new UserError(
    `Profile "${profile}" was not found in ${configPath} or ${credentialsPath}. ${knownText}`,
    `Check the spelling, or create it: aws configure --profile ${profile} (or aws configure sso --profile ${profile}).`,
  );
}

function regionMismatch(producerProfile: string, producerRegion: string, consumerProfile: string, consumerRegion: string): UserError {
  return new UserError(
    `The producer profile "${producerProfile}" is in region ${producerRegion}, but the consumer profile "${consumerProfile}" is in region ${consumerRegion}. Nothing was changed.`,
    `The stream and the function must be in one region. Pass --region <region> to use the same region for both.`,
  );
}

function bothFailed(producerProfile: string, producerError: unknown, consumerProfile: string, consumerError: unknown): Error {
  const message = `Neither profile could be used:\n  producer "${producerProfile}": ${errorMessage(producerError)}\n  consumer "${consumerProfile}": ${errorMessage(consumerError)}`;
  if (producerError instanceof UserError && consumerError instanceof UserError) {
    const hints = [...new Set([producerError.hint, consumerError.hint].filter((hint): hint is string => Boolean(hint)))];
    return new UserError(message, hints.length > 0 ? hints.join('\n') : undefined);
  }
  return new AggregateError([producerError, consumerError], message);
}

function describeResolution(
  profile: string,
  role: AccountRole,
  region: ResolvedRegion,
  endpoints: ResolvedEndpoints,
  fromEnvironment: boolean,
): string {
  const endpointText = Object.entries(endpoints)
    .map(([service, endpoint]) => `${service}=${endpoint.url} (${endpoint.source})`)
    .join(', ');
  return [
    `[aws] ${role} profile "${profile}": region ${region.value} (from ${region.source})`,
    fromEnvironment ? 'credentials from AWS_ACCESS_KEY_ID' : 'credentials from the profile',
    endpointText ? `endpoints ${endpointText}` : 'default AWS endpoints',
  ].join('; ');
}
