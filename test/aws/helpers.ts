import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { AwsClients } from '../../src/aws/session.js';

export interface TempAwsDir {
  dir: string;
  env: NodeJS.ProcessEnv;
  cleanup: () => void;
}

/** Writes a config and a credentials file into a fresh temp dir; `env` points the SDK at them. */
export function tempAwsFiles(config: string, credentials = ''): TempAwsDir {
  const dir = mkdtempSync(join(tmpdir(), 'kds-xacct-aws-'));
  mkdirSync(join(dir, '.aws'));
  const configPath = join(dir, '.aws', 'config');
  const credentialsPath = join(dir, '.aws', 'credentials');
  writeFileSync(configPath, config);
  writeFileSync(credentialsPath, credentials);
  return {
    dir,
    env: { AWS_CONFIG_FILE: configPath, AWS_SHARED_CREDENTIALS_FILE: credentialsPath },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A credentials provider whose access key id names the account it belongs to. */
export function keysFor(accountId: string): AwsCredentialIdentityProvider {
  return async () => ({ accessKeyId: `AKIDTEST${accountId}`, secretAccessKey: `secret-${accountId}` });
}

/**
 * STS that behaves like the real client up to the wire: it resolves the client's credentials (so
 * credential provider failures surface exactly as they would) and answers with the account the
 * access key id names. No request leaves the process.
 */
export function fakeSts(accountOf: (accessKeyId: string) => string = (key) => key.replace(/^AKIDTEST/, '')) {
  const sts = mockClient(STSClient);
  sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
    const provider = getClient().config.credentials as unknown as AwsCredentialIdentityProvider;
    const credentials = await provider();
    const account = accountOf(credentials.accessKeyId);
    return { Account: account, Arn: `arn:aws:iam::${account}:user/tester`, UserId: 'AIDATEST' };
  });
  return sts;
}

type AnyClient = AwsClients[Exclude<keyof AwsClients, 'destinations' | 'cloudwatch'>] | SNSClient | S3Client | CloudWatchClient;

/** Every client of a session, the ones only a failure destination or status's metrics need loaded too. */
export async function everyClient(clients: AwsClients): Promise<AnyClient[]> {
  const { destinations, cloudwatch, ...eager } = clients;
  return [...Object.values(eager), await destinations.sns(), await destinations.s3(), await cloudwatch()];
}

/** The endpoint a client would call, as a URL string, or undefined when it uses the SDK default. */
export async function customEndpoint(client: AnyClient): Promise<string | undefined> {
  const config = client.config as { endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }> };
  if (!config.endpoint) return undefined;
  const endpoint = await config.endpoint();
  return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}`;
}

/**
 * The host a real request from `client` would go to: a build-step middleware records it and
 * stops the request before signing and sending.
 */
export async function requestHost(client: AnyClient, command: unknown): Promise<string> {
  let host: string | undefined;
  const stop = new Error('stopped before sending');
  const stack = client.middlewareStack as unknown as {
    add: (middleware: unknown, options: { step: string; name: string }) => void;
    remove: (name: string) => boolean;
  };
  stack.add(
    () => async (args: { request: { hostname: string; port?: number } }) => {
      host = `${args.request.hostname}${args.request.port ? `:${args.request.port}` : ''}`;
      throw stop;
    },
    { step: 'build', name: 'captureHost' },
  );
  try {
    await (client.send as (command: unknown) => Promise<unknown>)(command);
  } catch (error) {
    if (error !== stop) throw error;
  } finally {
    stack.remove('captureHost');
  }
  if (!host) throw new Error('no request was built');
  return host;
}
