import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { isPartitionRegion } from '../regions.js';
import { UserError, errorMessage } from '../errors.js';
import { createClients, type ClientOverrides, type ResolvedEndpoints } from './clients.js';
import { describeConnectError } from './connect-errors.js';
import {
  defaultCredentialsFor,
  environmentCredentials,
  environmentCredentialsApply,
  memoizeCredentials,
  type CredentialTarget,
  type CredentialsFor,
} from './credentials.js';
import { createSdkDebugLogger, redactText } from './debug-log.js';
import { SERVICE_IDS, configuredEndpoint, type ServiceKey } from './endpoints.js';
import type { AccountRole, AccountSession, ConnectOptions, SessionFactory } from './session.js';
import { loadSharedConfig, profileNames, profileSettings, type IniSection, type SharedConfigFiles } from './shared-config.js';


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
      const clients = createClients({ account: role, profile, region: region.value, credentials, endpoints, logger: sdkLogger, overrides });

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
    // Before any call: a name no partition has would fail only at DNS, as a network error.
    if (!isPartitionRegion(value)) {
      throw new UserError(
        `"${value}" (from ${source}) is not a region of any AWS partition, so profile "${profile}" cannot use it.`,
        'Use a region code such as eu-west-1, us-east-1, cn-north-1 or us-gov-west-1.',
      );
    }
    return { value, source };
  }
  throw new UserError(
    `No region is set for profile "${profile}".`,
    `Pass --region <region>, or set region in the profile: \`aws configure set region <region> --profile ${profile}\`.`,
  );
}

function resolveEndpoints(profile: string, settings: IniSection, files: SharedConfigFiles, env: NodeJS.ProcessEnv): ResolvedEndpoints {
  const endpoints: ResolvedEndpoints = {};
  for (const service of Object.keys(SERVICE_IDS) as ServiceKey[]) {
    const endpoint = configuredEndpoint(service, { env, profile, settings, files });
    if (endpoint) endpoints[service] = endpoint;
  }
  return endpoints;
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
    `Check the spelling, or create it: \`aws configure --profile ${profile}\` (or \`aws configure sso --profile ${profile}\`).`,
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
