import { UserError } from '../errors.js';
import type { AwsClients, DestinationClients } from './session.js';
import { servicesSection, type IniSection, type SharedConfigFiles } from './shared-config.js';

/**
 * The SDK service id of each client (its `serviceId`). The id gives both the environment variable
 * suffix (upper case, spaces to `_`: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) and the key inside a
 * `[services]` section (lower case, spaces to `_`: `cloudwatch_logs`).
 */
export const SERVICE_IDS = {
  kinesis: 'Kinesis',
  kms: 'KMS',
  iam: 'IAM',
  lambda: 'Lambda',
  logs: 'CloudWatch Logs',
  sqs: 'SQS',
  sts: 'STS',
  sns: 'SNS',
  s3: 'S3',
  cloudwatch: 'CloudWatch',
} as const satisfies Record<Exclude<keyof AwsClients, 'destinations'> | keyof DestinationClients, string>;

export type ServiceKey = keyof typeof SERVICE_IDS;

export interface ConfiguredEndpoint {
  url: string;
  /** Where the url came from, for `--debug` and error messages. */
  source: string;
}

export interface EndpointContext {
  env: NodeJS.ProcessEnv;
  profile: string;
  settings: IniSection;
  files: SharedConfigFiles;
}

/**
 * The endpoint url a profile configures for one service, or undefined for the SDK default.
 *
 * The SDK does this itself only for AWS_PROFILE's profile (or [default]), never for a profile
 * passed as a client option, so each of our two profiles would otherwise get the other's (or
 * default's) endpoints. Precedence copies @smithy/core `getEndpointFromConfig` and the SDK
 * reference guide ("Service-specific endpoints"):
 *   AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (env, else the profile's ignore_configured_endpoint_urls)
 *   turns all of the following off;
 *   1. AWS_ENDPOINT_URL_<SERVICE>
 *   2. AWS_ENDPOINT_URL
 *   3. `<service> = endpoint_url = ...` in the `[services x]` section the profile names
 *   4. the profile's own `endpoint_url`
 */
export function configuredEndpoint(service: ServiceKey, ctx: EndpointContext): ConfiguredEndpoint | undefined {
  if (ignoresConfiguredEndpoints(ctx)) return undefined;
  const serviceId = SERVICE_IDS[service];
  const envName = ['AWS_ENDPOINT_URL', ...serviceId.split(' ').map((part) => part.toUpperCase())].join('_');
  const found = fromEnvironment(ctx.env, envName) ?? fromEnvironment(ctx.env, 'AWS_ENDPOINT_URL') ?? fromConfig(serviceId, ctx);
  if (found) checkUrl(found, ctx.profile);
  return found;
}

function fromEnvironment(env: NodeJS.ProcessEnv, name: string): ConfiguredEndpoint | undefined {
  const value = env[name];
  // An empty variable counts as unset, as in the SDK's selector.
  return value ? { url: value, source: `environment variable ${name}` } : undefined;
}

function fromConfig(serviceId: string, ctx: EndpointContext): ConfiguredEndpoint | undefined {
  const sectionName = ctx.settings.services;
  if (sectionName) {
    const section = servicesSection(ctx.files, sectionName);
    if (!section) {
      throw new UserError(
        `Profile "${ctx.profile}" sets services = ${sectionName}, but the config file has no [services ${sectionName}] section.`,
        `Add a [services ${sectionName}] section to the config file, or remove the services line from profile "${ctx.profile}".`,
      );
    }
    const key = `${serviceId.split(' ').map((part) => part.toLowerCase()).join('_')}.endpoint_url`;
    const url = section[key];
    if (url) return { url, source: `[services ${sectionName}] ${key}` };
  }
  const url = ctx.settings.endpoint_url;
  return url ? { url, source: `endpoint_url of profile "${ctx.profile}"` } : undefined;
}

function ignoresConfiguredEndpoints(ctx: EndpointContext): boolean {
  // The environment decides when the variable is set at all; otherwise the profile does.
  const envValue = ctx.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  if (envValue !== undefined) return parseBoolean(envValue, 'environment variable AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', ctx.profile);
  const configValue = ctx.settings.ignore_configured_endpoint_urls;
  if (configValue !== undefined) {
    return parseBoolean(configValue, `ignore_configured_endpoint_urls of profile "${ctx.profile}"`, ctx.profile);
  }
  return false;
}

function parseBoolean(value: string, where: string, profile: string): boolean {
  // The SDK accepts exactly "true" and "false" and throws on anything else; say so before it does.
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UserError(
    `Cannot read ${where} for profile "${profile}": expected "true" or "false", got "${value}".`,
    `Set ${where} to true or false.`,
  );
}

function checkUrl(endpoint: ConfiguredEndpoint, profile: string): void {
  let parsed: URL;
  try {
    parsed = new URL(endpoint.url);
  } catch {
    throw invalidUrl(endpoint, profile);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidUrl(endpoint, profile);
}

function invalidUrl(endpoint: ConfiguredEndpoint, profile: string): UserError {
  return new UserError(
    `The endpoint url "${endpoint.url}" (from ${endpoint.source}) for profile "${profile}" is not a valid http(s) URL.`,
    'Use a full URL with scheme and host, for example http://localhost:4566.',
  );
}
