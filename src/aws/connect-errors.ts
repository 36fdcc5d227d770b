import { UserError, awsErrorCode, errorMessage } from '../errors.js';

export interface ConnectErrorContext {
  profile: string;
  region: string;
  /** The STS endpoint url when the profile configures one; network errors then name it. */
  stsEndpoint?: string;
}

/**
 * Messages the SDK's SSO credential and token providers throw when the cached SSO token is
 * missing, expired or revoked (@aws-sdk/credential-provider-sso resolveSSOCredentials,
 * @aws-sdk/token-providers fromSso / validateTokenExpiry / validateTokenKey), and the SSO
 * service's own answer to a revoked token (UnauthorizedException "Session token not found or invalid").
 */
const SSO_SESSION_PROBLEM = [
  /The SSO session associated with this profile (?:has expired|is invalid)/i,
  /The SSO session token associated with profile=.* was not found or is invalid/i,
  /\bToken is expired\b/i,
  /in SSO Token\b/i,
  /Session token not found or invalid/i,
  /run '?aws sso login'?/i,
];

/** `aws login` (console credentials) sessions, @aws-sdk/credential-provider-login. */
const LOGIN_SESSION_PROBLEM = /re-authenticate using aws login/i;

const MFA_MISSING = /requires multi-factor authentication, but no MFA code callback was provided/i;

const MISSING_CREDENTIALS = [
  /Could not load credentials from any providers/i,
  /Could not resolve credentials using profile/i,
  /could not be found in shared credentials file/i,
  /credential_process/i,
  /Unsupported credential source/i,
  /Detected a cycle attempting to resolve credentials/i,
];

/** STS answers for credentials that exist but are stale, revoked or wrong. */
const REJECTED_CREDENTIAL_CODES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'IncompleteSignature',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/**
 * Turns a failure of resolving credentials or calling STS GetCallerIdentity into an error that
 * names the profile and says what to do. Unrecognised failures keep the original as `cause`.
 */
export function describeConnectError(error: unknown, ctx: ConnectErrorContext): Error {
  if (error instanceof UserError) return error;
  const { profile } = ctx;
  const message = errorMessage(error);
  const name = error instanceof Error ? error.name : '';
  const code = awsErrorCode(error);

  if (SSO_SESSION_PROBLEM.some((pattern) => pattern.test(message)) || (name === 'UnauthorizedException' && /sso/i.test(message))) {
    return new UserError(
      `The SSO session of profile "${profile}" has expired or is not logged in (${firstLine(message)}).`,
      `Run \`aws sso login --profile ${profile}\`.`,
    );
  }
  if (LOGIN_SESSION_PROBLEM.test(message)) {
    return new UserError(`The sign-in session of profile "${profile}" has expired (${firstLine(message)}).`, `Run \`aws login --profile ${profile}\`.`);
  }
  if (MFA_MISSING.test(message)) {
    return new UserError(
      `Profile "${profile}" needs an MFA code, and this run cannot ask for one.`,
      'Run interactively (in a terminal) to be asked for the code, or use a profile with temporary credentials.',
    );
  }
  if (code && REJECTED_CREDENTIAL_CODES.has(code)) {
    return new UserError(
      `AWS rejected the credentials of profile "${profile}": ${code}: ${firstLine(message)}`,
      `Refresh the credentials of profile "${profile}": \`aws sso login --profile ${profile}\` for SSO, new keys with \`aws configure --profile ${profile}\`, or new temporary credentials for role or credential_process profiles.`,
    );
  }
  if (code === 'AccessDenied' && /AssumeRole|MultiFactorAuthentication/.test(message)) {
    return new UserError(
      `Profile "${profile}" could not assume its role: ${firstLine(message)}`,
      `Check role_arn, source_profile and mfa_serial of profile "${profile}", the MFA code, and the role's trust policy.`,
    );
  }
  const network = networkCode(error);
  if (network) {
    if (ctx.stsEndpoint) {
      return new UserError(
        `Could not reach ${ctx.stsEndpoint}, the STS endpoint configured for profile "${profile}" (${network}).`,
        'Check that the endpoint is running and the url is right, or remove endpoint_url / AWS_ENDPOINT_URL to use AWS.',
      );
    }
    return new UserError(
      `Could not reach AWS STS in region ${ctx.region} for profile "${profile}" (${network}).`,
      'Check the network connection, proxy settings and the region name.',
    );
  }
  if (name === 'CredentialsProviderError' || MISSING_CREDENTIALS.some((pattern) => pattern.test(message))) {
    return new UserError(
      `Could not load credentials for profile "${profile}": ${firstLine(message)}`,
      `Check the profile's aws_access_key_id / aws_secret_access_key, or its sso_*, role_arn/source_profile or credential_process settings (\`aws configure --profile ${profile}\`).`,
    );
  }
  if (code) {
    return new UserError(
      `AWS refused to identify profile "${profile}" (STS GetCallerIdentity): ${code}: ${firstLine(message)}`,
      'Check the profile and run again with --debug for the request id.',
    );
  }
  return new Error(`Could not connect with profile "${profile}": ${message}`, { cause: error });
}

/** The network failure behind an error (a Node system error code, or "timed out"), if that is what it is. */
export function networkCode(error: unknown): string | undefined {
  // Node's system errors carry `code`; the SDK sometimes nests the original under `cause`.
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (current.name === 'TimeoutError' || current.name === 'RequestTimeout') return 'timed out';
  }
  return undefined;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}
