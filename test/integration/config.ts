/**
 * The integration suite's configuration, from the environment. Nothing here reaches the network:
 * without the variables the suite is skipped and says why.
 */
export interface IntegrationConfig {
  producerProfile: string;
  consumerProfile: string;
  region: string;
  /** AWS_ENDPOINT_URL, for an AWS-compatible emulator; undefined for real AWS. */
  endpoint?: string;
  /** False when the target cannot run Lambda code (KDS_XACCT_IT_NO_LAMBDA=1): send-test-record skips --verify. */
  verify: boolean;
  /** How long each command may take. */
  commandTimeoutMs: number;
}

export const ENV = {
  producerProfile: 'KDS_XACCT_IT_PRODUCER_PROFILE',
  consumerProfile: 'KDS_XACCT_IT_CONSUMER_PROFILE',
  region: 'KDS_XACCT_IT_REGION',
  noLambda: 'KDS_XACCT_IT_NO_LAMBDA',
  timeoutMinutes: 'KDS_XACCT_IT_TIMEOUT_MINUTES',
} as const;

export type Configured = { config: IntegrationConfig; skipped?: undefined } | { config?: undefined; skipped: string };

export function integrationConfig(env: NodeJS.ProcessEnv = process.env): Configured {
  const missing = [ENV.producerProfile, ENV.consumerProfile, ENV.region].filter((name) => !env[name]);
  if (missing.length > 0) {
    return {
      skipped:
        `Integration suite skipped: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. ` +
        `Set ${ENV.producerProfile}, ${ENV.consumerProfile} and ${ENV.region} (and AWS_ENDPOINT_URL for an emulator) to run it against two accounts; see the README.`,
    };
  }
  const minutes = Number(env[ENV.timeoutMinutes] ?? '15');
  return {
    config: {
      producerProfile: env[ENV.producerProfile]!,
      consumerProfile: env[ENV.consumerProfile]!,
      region: env[ENV.region]!,
      ...(env.AWS_ENDPOINT_URL && { endpoint: env.AWS_ENDPOINT_URL }),
      verify: !['1', 'true', 'yes'].includes((env[ENV.noLambda] ?? '').toLowerCase()),
      commandTimeoutMs: (Number.isFinite(minutes) && minutes > 0 ? minutes : 15) * 60_000,
    },
  };
}
