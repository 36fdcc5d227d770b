/**
 * Where a profile's credentials come from: the shared files through fromIni (with role assumption
 * sent to the profile's own STS endpoint), or the environment for `default` in CI. Resolved once
 * per profile and kept until shortly before they expire.
 */
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@aws-sdk/types';
import { SDK_RETRY } from './clients.js';
import type { ConnectOptions } from './session.js';

/** Refresh memoized credentials this long before they expire, as the SDK does for its own cache. */
const CREDENTIAL_REFRESH_WINDOW_MS = 5 * 60_000;

/** Where the connecting profile's own STS calls go; role assumption follows it. */
export interface CredentialTarget {
  region: string;
  stsEndpoint?: string;
}

export type CredentialsFor = (profile: string, options: ConnectOptions, target: CredentialTarget) => AwsCredentialIdentityProvider;

export function defaultCredentialsFor(env: NodeJS.ProcessEnv, logger: Logger | undefined): CredentialsFor {
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
export function environmentCredentialsApply(profile: string, env: NodeJS.ProcessEnv): boolean {
  return profile === 'default' && Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
}

export function environmentCredentials(env: NodeJS.ProcessEnv): AwsCredentialIdentityProvider {
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
export function memoizeCredentials(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
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
