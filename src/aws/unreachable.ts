import type { DeserializeMiddleware, HandlerExecutionContext, InitializeMiddleware, Pluggable } from '@aws-sdk/types';
import { UserError } from '../errors.js';
import { networkCode } from './connect-errors.js';
import type { ConfiguredEndpoint } from './endpoints.js';
import type { AccountRole } from './session.js';

/** Where a call that could not connect was going, for a message that names it. */
export interface EndpointTarget {
  account: AccountRole;
  profile: string;
  region: string;
  /** The service's name as users know it: "Kinesis", "CloudWatch Logs". */
  service: string;
  /** The endpoint the profile configured for this service, if any (AWS_ENDPOINT_URL_*, endpoint_url, [services]). */
  configured?: ConfiguredEndpoint;
}

/** A connection, DNS or TLS failure: the endpoint could not be reached, which is the network's or the configuration's doing, not a bug. */
export class EndpointUnreachableError extends UserError {
  override name = 'EndpointUnreachableError';
  constructor(
    readonly target: EndpointTarget,
    readonly url: string,
    readonly networkError: string,
    cause: unknown,
  ) {
    const { account, profile, region, service, configured } = target;
    super(
      `Could not reach ${service} at ${url} for the ${account} account (profile "${profile}", ${region}): ${networkError}.`,
      configured
        ? `That endpoint comes from ${configured.source}. Check that it is running and the url is right, or remove the setting to use AWS.`
        : `Check the network connection, proxy settings (HTTPS_PROXY) and the region name, then run the same command again.`,
    );
    this.cause = cause;
  }
}

const URL_KEY = Symbol('kds-xacct:request-url');
type WithUrl = HandlerExecutionContext & { [URL_KEY]?: string };

/**
 * Names the endpoint in any failure to connect. The SDK reports these as plain errors (an HTTP/2
 * "pending stream has been canceled" for Kinesis) that say neither the service nor the account.
 */
export function unreachableEndpointPlugin(target: EndpointTarget): Pluggable<any, any> {
  const remember: DeserializeMiddleware<any, any> = (next, context: WithUrl) => async (args) => {
    const request = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
    if (request?.hostname) context[URL_KEY] = `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
    return next(args);
  };
  const translate: InitializeMiddleware<any, any> = (next, context: WithUrl) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      const code = networkCode(error);
      const url = context[URL_KEY];
      // No url: the request never left (credentials could not be resolved); that error says more as it is.
      if (!code || !url) throw error;
      throw new EndpointUnreachableError(target, url, code, error);
    }
  };
  return {
    applyToStack(stack) {
      // Right before the request is sent: the url after endpoint resolution, host prefixes and signing.
      stack.add(remember, { step: 'deserialize', priority: 'low', name: 'kdsXacctRememberUrl' });
      // First in initialize: sees the error only once the SDK's own retries have given up.
      stack.add(translate, { step: 'initialize', priority: 'high', name: 'kdsXacctUnreachableEndpoint' });
    },
  };
}
