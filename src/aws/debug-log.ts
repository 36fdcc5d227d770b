import type { Logger } from '@aws-sdk/types';

const REDACTED = '[REDACTED]';

/**
 * Keys whose values are secrets. `NextToken`-style pagination tokens are not secrets and stay
 * readable, which is why this is not simply /token/i.
 */
const SECRET_KEY =
  /secret|password|passphrase|signature|authorization|credential|session_?token|security_?token|access_?token|refresh_?token|id_?token|^token$|tokencode|access_?key|private_?key|x-amz-security-token/i;

/** Secrets that can appear inside free text: error messages, headers, presigned URLs, INI lines. */
const SECRET_TEXT: [RegExp, string][] = [
  [/\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g, REDACTED],
  [/(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(Credential=)[^,\s"']+/g, `$1${REDACTED}`],
  [/(Signature=)[0-9a-f]+/gi, `$1${REDACTED}`],
  [/(aws_(?:secret_access_key|session_token|security_token|access_key_id)\s*[=:]\s*)\S+/gi, `$1${REDACTED}`],
  [/("?(?:SecretAccessKey|SessionToken|secretAccessKey|sessionToken|accessToken|refreshToken|clientSecret)"?\s*[:=]\s*"?)[^",\s}]+/g, `$1${REDACTED}`],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`],
];

const MAX_STRING = 2000;

/** Removes credentials, tokens and signatures from a string. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out.length > MAX_STRING ? `${out.slice(0, MAX_STRING)}… (${out.length - MAX_STRING} more characters)` : out;
}

/**
 * A copy of `value` that is safe to print under `--debug`: secret-looking keys are replaced,
 * strings are scrubbed, Errors become plain objects that keep name, message, code and $metadata
 * (the request id), and binary payloads are summarised.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet(), 0);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (seen.has(value)) return '[circular]';
  if (depth > 8) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.name = value.name;
    out.message = redactText(value.message);
  }
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, seen, depth + 1);
  }
  if (value instanceof Error && value.cause !== undefined) out.cause = redactValue(value.cause, seen, depth + 1);
  return out;
}

/** One printable, redacted line from the arguments of an SDK logger call. */
export function formatDebugLine(level: string, content: unknown[]): string {
  const parts = content.map((item) => (typeof item === 'string' ? redactText(item) : JSON.stringify(redact(item))));
  return `[aws ${level}] ${parts.join(' ')}`;
}

/**
 * An SDK `logger` that writes redacted lines through `write`. The SDK's logger middleware calls
 * `info` after each request (input, output and `metadata.requestId`) and `error` when one fails,
 * so this is what makes request ids visible under `--debug`. The SDK's own `debug` and `trace`
 * lines (every config lookup it makes, dozens per client) would drown those and are dropped.
 */
export function createSdkDebugLogger(write: (line: string) => void): Logger {
  const at =
    (level: string) =>
    (...content: unknown[]): void =>
      write(formatDebugLine(level, content));
  const ignore = (): void => undefined;
  return { trace: ignore, debug: ignore, info: at('info'), warn: at('warn'), error: at('error') };
}
