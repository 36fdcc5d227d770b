import { CredentialsProviderError, TokenProviderError } from '@smithy/core/config';
import { describe, expect, it } from 'vitest';
import { describeConnectError, networkCode } from '../../src/aws/connect-errors.js';
import { UserError } from '../../src/errors.js';
import * as texts from '../../src/sandbox/aws-error-texts.js';
import { awsError } from '../../src/sandbox/index.js';

/** Each quoted error as it reaches the product: the SDK's own error classes, STS's answer as the SDK deserialises it, Node's system error. */
function thrown(entry: texts.ClientErrorText): Error {
  if (entry.name === 'CredentialsProviderError') return new CredentialsProviderError(entry.example);
  if (entry.name === 'TokenProviderError') return new TokenProviderError(entry.example);
  if (entry.name === 'Error') return Object.assign(new Error(entry.example), { code: entry.code, ...entry.fields, $metadata: { attempts: 1, totalRetryDelay: 0 } });
  return awsError('STS', entry.name, entry.example);
}

const ctx = { profile: 'dev', region: 'eu-west-1' };
const diagnosis = (entry: texts.ClientErrorText) => {
  const error = describeConnectError(thrown(entry), ctx);
  expect(error, entry.example).toBeInstanceOf(UserError);
  return `${error.message} | ${(error as UserError).hint}`;
};

describe('the client-side errors (src/sandbox/aws-error-texts.ts, CLIENT_ERROR_TEXTS)', () => {
  it('each have a source: the installed SDK package and version, or a public report', () => {
    for (const entry of texts.CLIENT_ERROR_TEXTS) expect(entry.source, entry.example).toMatch(/^@(?:aws-sdk|smithy)\/[a-z-]+ \d+\.\d+\.\d+, |#\d+/);
  });

  it('quote the installed SDK: every SDK message is in the package it names', async () => {
    const { readFile } = await import('node:fs/promises');
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    for (const entry of texts.CLIENT_ERROR_TEXTS.filter((e) => e.source.startsWith('@'))) {
      const [, pkg, version] = /^(@[^ ]+) ([\d.]+),/.exec(entry.source)!;
      const main = require.resolve(pkg!);
      const manifest = JSON.parse(await readFile(main.replace(/dist-cjs\/index\.js$/, 'package.json'), 'utf8')) as { version: string };
      expect(manifest.version, pkg).toBe(version);
      // The example cut where the package's template has a placeholder (the names) or its REFRESH_MESSAGE constant.
      const source = await readFile(main, 'utf8');
      const fragments = entry.example.split(/profile=dev|'dev'|\bdev-session\b|\bdev\b|'accessToken'|\. (?=To refresh)/).filter((part) => part.length > 0);
      for (const part of fragments) expect(source, `${pkg}: ${entry.example}`).toContain(part);
    }
  });
});

describe("the connection diagnosis (describeConnectError), against the SDK's and Node's own errors", () => {
  it('sends every SSO session or token problem to aws sso login for the profile', () => {
    for (const entry of [texts.SSO_SESSION_EXPIRED, texts.SSO_SESSION_INVALID, texts.SSO_TOKEN_EXPIRED, texts.SSO_TOKEN_NOT_FOUND, texts.SSO_TOKEN_FIELD_MISSING]) {
      expect(diagnosis(entry), entry.example).toMatch(/^The SSO session of profile "dev" has expired or is not logged in \(.+\)\. \| Run `aws sso login --profile dev`\.$/);
    }
  });

  it('names the profile whose credentials could not be loaded, and what to check', () => {
    for (const entry of [texts.NO_CREDENTIAL_PROVIDER, texts.PROFILE_UNRESOLVED, texts.PROFILE_NOT_FOUND_FOR_TOKEN, texts.PROFILE_NOT_FOUND_FOR_PROCESS, texts.CREDENTIAL_PROCESS_EXPIRED]) {
      expect(diagnosis(entry), entry.example).toBe(
        `Could not load credentials for profile "dev": ${entry.example} | Check the profile's aws_access_key_id / aws_secret_access_key, or its sso_*, role_arn/source_profile or credential_process settings (\`aws configure --profile dev\`).`,
      );
    }
  });

  it('says an MFA code is needed, and a console sign-in session needs aws login', () => {
    expect(diagnosis(texts.MFA_CODE_NEEDED)).toMatch(/^Profile "dev" needs an MFA code, and this run cannot ask for one\./);
    expect(diagnosis(texts.LOGIN_SESSION_EXPIRED)).toMatch(/\| Run `aws login --profile dev`\.$/);
  });

  it("reads STS's refusals of stale or wrong credentials as such", () => {
    for (const entry of [texts.STS_EXPIRED_TOKEN, texts.STS_INVALID_CLIENT_TOKEN]) {
      expect(diagnosis(entry), entry.example).toMatch(new RegExp(`^AWS rejected the credentials of profile "dev": ${entry.name}: ${entry.example} \\| Refresh the credentials of profile "dev"`));
    }
  });

  it("reads Node's DNS and connection failures as an endpoint that cannot be reached", () => {
    expect(networkCode(thrown(texts.NODE_HOST_NOT_FOUND))).toBe('ENOTFOUND');
    expect(networkCode(thrown(texts.NODE_CONNECTION_REFUSED))).toBe('ECONNREFUSED');
    expect(diagnosis(texts.NODE_HOST_NOT_FOUND)).toBe('Could not reach AWS STS in region eu-west-1 for profile "dev" (ENOTFOUND). | Check the network connection, proxy settings and the region name.');
    expect(describeConnectError(thrown(texts.NODE_CONNECTION_REFUSED), { ...ctx, stsEndpoint: 'http://localhost:4566' }).message).toBe(
      'Could not reach http://localhost:4566, the STS endpoint configured for profile "dev" (ECONNREFUSED).',
    );
  });

  it('matches each text only where it belongs: only Node\'s errors are network failures, only the SSO texts send to aws sso login', () => {
    const where = (pattern: RegExp) => texts.CLIENT_ERROR_TEXTS.filter((entry) => pattern.test(diagnosis(entry)));
    expect(where(/^Could not reach /)).toEqual([texts.NODE_HOST_NOT_FOUND, texts.NODE_CONNECTION_REFUSED]);
    expect(where(/aws sso login/)).toEqual([texts.SSO_SESSION_EXPIRED, texts.SSO_SESSION_INVALID, texts.SSO_TOKEN_EXPIRED, texts.SSO_TOKEN_NOT_FOUND, texts.SSO_TOKEN_FIELD_MISSING, texts.STS_EXPIRED_TOKEN, texts.STS_INVALID_CLIENT_TOKEN]);
  });
});
