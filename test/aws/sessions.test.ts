import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, STSServiceException, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectBoth, createSessionFactory } from '../../src/aws/sessions.js';
import type { SessionFactory } from '../../src/aws/session.js';
import { UserError } from '../../src/errors.js';
import { customEndpoint, everyClient, fakeSts, keysFor, requestHost, tempAwsFiles, type TempAwsDir } from './helpers.js';

let sts: ReturnType<typeof fakeSts>;
const temps: TempAwsDir[] = [];

function files(config: string, credentials = ''): TempAwsDir {
  const temp = tempAwsFiles(config, credentials);
  temps.push(temp);
  return temp;
}

/** Injected credentials: profile name -> account id, so no real provider runs. */
function accounts(map: Record<string, string>) {
  return (profile: string): AwsCredentialIdentityProvider => {
    const account = map[profile];
    if (!account) throw new Error(`test has no account for ${profile}`);
    return keysFor(account);
  };
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

beforeEach(() => {
  // Hermetic SDK: nothing the developer's shell exports may leak into the clients.
  for (const name of ['AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    vi.stubEnv(name, undefined);
  }
  sts = fakeSts();
});

afterEach(() => {
  sts.restore();
  vi.unstubAllEnvs();
  for (const temp of temps.splice(0)) temp.cleanup();
});

const TWO_PROFILES = `
[default]
region = eu-west-1

[profile producer]
region = eu-west-1

[profile consumer]
region = eu-west-1

[profile elsewhere]
region = us-east-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1

[services localstack]
kinesis =
  endpoint_url = http://localhost:4567
`;

describe('listProfiles and profileRegion', () => {
  it('lists profiles of both files once each, default first, without sso-session or services sections', async () => {
    const temp = files(TWO_PROFILES, '[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = x\n\n[producer]\naws_access_key_id = AKIDP\naws_secret_access_key = y\n');
    const factory = createSessionFactory({ env: temp.env });
    expect(await factory.listProfiles()).toEqual(['default', 'ci', 'consumer', 'elsewhere', 'producer']);
  });

  it('reads a profile region without resolving credentials', async () => {
    const credentialsFor = vi.fn();
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor });
    expect(await factory.profileRegion('elsewhere')).toBe('us-east-1');
    expect(await factory.profileRegion('ci')).toBeUndefined();
    expect(credentialsFor).not.toHaveBeenCalled();
  });

  it('accepts an injected loader', async () => {
    const factory = createSessionFactory({
      env: {},
      loadConfigFiles: async () => ({ configFile: { b: { region: 'eu-north-1' }, a: {} }, credentialsFile: { default: {} } }),
    });
    expect(await factory.listProfiles()).toEqual(['default', 'a', 'b']);
    expect(await factory.profileRegion('b')).toBe('eu-north-1');
  });
});

describe('connect', () => {
  it('returns the account id and caller ARN from STS', async () => {
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: accounts({ producer: '111111111111' }) });
    const session = await factory.connect('producer', 'producer', {});
    expect(session).toMatchObject({
      role: 'producer',
      profile: 'producer',
      region: 'eu-west-1',
      accountId: '111111111111',
      callerArn: 'arn:aws:iam::111111111111:user/tester',
    });
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
  });

  it('names an unknown profile, lists the known ones and says how to create it', async () => {
    const temp = files(TWO_PROFILES);
    const factory = createSessionFactory({ env: temp.env, credentialsFor: accounts({}) });
    const error = await userError(factory.connect('prodcuer', 'producer', {}));
    expect(error.message).toContain('"prodcuer"');
    expect(error.message).toContain('default, consumer, elsewhere, producer');
    expect(error.message).toContain(temp.env.AWS_CONFIG_FILE);
    expect(error.hint).toContain('aws configure --profile prodcuer');
    expect(error.hint).toMatch(/spelling/);
    expect(sts.calls()).toHaveLength(0);
  });

  it('uses environment credentials for "default" only when no file defines it', async () => {
    const env = { ...files('').env, AWS_ACCESS_KEY_ID: 'AKIDTEST999999999999', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'eu-west-2' };
    const factory = createSessionFactory({ env });
    const session = await factory.connect('default', 'producer', {});
    expect(session.accountId).toBe('999999999999');
    expect(session.region).toBe('eu-west-2');
    await userError(factory.connect('named', 'consumer', {}));
  });

  describe('region', () => {
    const config = '[profile withregion]\nregion = eu-central-1\n\n[profile noregion]\noutput = json\n';
    const connectRegion = async (profile: string, region: string | undefined, env: NodeJS.ProcessEnv) => {
      const factory = createSessionFactory({ env: { ...files(config).env, ...env }, credentialsFor: () => keysFor('111111111111') });
      const session = await factory.connect(profile, 'producer', region ? { region } : {});
      expect(await session.clients.kinesis.config.region()).toBe(session.region);
      expect(await session.clients.logs.config.region()).toBe(session.region);
      return session.region;
    };

    it('takes --region first, then the profile, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
      const env = { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'sa-east-1' };
      expect(await connectRegion('withregion', 'us-west-2', env)).toBe('us-west-2');
      expect(await connectRegion('withregion', undefined, env)).toBe('eu-central-1');
      expect(await connectRegion('noregion', undefined, env)).toBe('ap-south-1');
      expect(await connectRegion('noregion', undefined, { AWS_DEFAULT_REGION: 'sa-east-1' })).toBe('sa-east-1');
    });

    it('asks for --region when nothing names one', async () => {
      const error = await userError(connectRegion('noregion', undefined, {}));
      expect(error.message).toContain('"noregion"');
      expect(error.hint).toContain('--region');
      expect(error.hint).toContain('region');
    });

    it('refuses a malformed region', async () => {
      const error = await userError(connectRegion('noregion', 'eu west 1', {}));
      expect(error.message).toContain('--region');
    });

    it('refuses a region no AWS partition has before any call, from a flag, a profile or the environment', async () => {
      const flag = await userError(connectRegion('withregion', 'mars-1', {}));
      expect(flag.message).toBe('"mars-1" (from --region) is not a region of any AWS partition, so profile "withregion" cannot use it.');
      expect(flag.hint).toContain('eu-west-1');
      const fromEnv = await userError(connectRegion('noregion', undefined, { AWS_REGION: 'mars-1' }));
      expect(fromEnv.message).toContain('(from AWS_REGION)');
    });
  });
});

describe('connectBoth', () => {
  const both = (factory: SessionFactory, producerProfile: string, consumerProfile: string, region?: string) =>
    connectBoth(factory, { producerProfile, consumerProfile, ...(region && { region }) });

  it('connects both accounts and says whether they are the same', async () => {
    const env = files(TWO_PROFILES).env;
    const factory = createSessionFactory({ env, credentialsFor: accounts({ producer: '111111111111', consumer: '222222222222', default: '111111111111' }) });
    const cross = await both(factory, 'producer', 'consumer');
    expect(cross.producer.accountId).toBe('111111111111');
    expect(cross.consumer.accountId).toBe('222222222222');
    expect(cross.consumer.role).toBe('consumer');
    expect(cross.sameAccount).toBe(false);

    const same = await both(factory, 'producer', 'default');
    expect(same.sameAccount).toBe(true);
  });

  it('refuses profiles in different regions before resolving any credentials', async () => {
    const credentialsFor = vi.fn(accounts({ producer: '111111111111', elsewhere: '222222222222' }));
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor });
    const error = await userError(both(factory, 'producer', 'elsewhere'));
    expect(error.message).toContain('eu-west-1');
    expect(error.message).toContain('us-east-1');
    expect(error.message).toContain('"producer"');
    expect(error.message).toContain('"elsewhere"');
    expect(error.hint).toContain('--region');
    expect(credentialsFor).not.toHaveBeenCalled();
    expect(sts.calls()).toHaveLength(0);
  });

  it('refuses when only the resolved regions differ (profile region against the environment)', async () => {
    const env = { ...files('[profile a]\nregion = eu-west-1\n\n[profile b]\noutput = json\n').env, AWS_REGION: 'us-east-2' };
    const factory = createSessionFactory({ env, credentialsFor: accounts({ a: '111111111111', b: '222222222222' }) });
    const error = await userError(both(factory, 'a', 'b'));
    expect(error.message).toMatch(/eu-west-1.*us-east-2/s);
  });

  it('--region puts both profiles in one region', async () => {
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: accounts({ producer: '111111111111', elsewhere: '222222222222' }) });
    const result = await both(factory, 'producer', 'elsewhere', 'ap-northeast-1');
    expect(result.producer.region).toBe('ap-northeast-1');
    expect(await result.consumer.clients.lambda.config.region()).toBe('ap-northeast-1');
  });

  it('reports both failures when both profiles fail', async () => {
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: accounts({}) });
    const error = await userError(both(factory, 'nope-one', 'nope-two', 'eu-west-1'));
    expect(error.message).toContain('producer "nope-one"');
    expect(error.message).toContain('consumer "nope-two"');
    expect(error.hint).toContain('aws configure --profile nope-one');
    expect(error.hint).toContain('aws configure --profile nope-two');
  });

  it('shares one credential resolution when both sides use the same profile', async () => {
    const provider = vi.fn(keysFor('111111111111'));
    const credentialsFor = vi.fn(() => provider);
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor });
    const result = await both(factory, 'producer', 'producer');
    expect(result.sameAccount).toBe(true);
    expect(credentialsFor).toHaveBeenCalledTimes(1);
    expect(provider).toHaveBeenCalledTimes(1);
  });

  it('asks for MFA codes one at a time', async () => {
    let asking = 0;
    let overlapped = false;
    const mfaCodeProvider = async (serial: string) => {
      asking++;
      if (asking > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 10));
      asking--;
      return `code-for-${serial}`;
    };
    const codes: string[] = [];
    const credentialsFor = (profile: string, options: { mfaCodeProvider?: (serial: string) => Promise<string> }) => async () => {
      codes.push(await options.mfaCodeProvider!(`arn:aws:iam::1:mfa/${profile}`));
      return { accessKeyId: profile === 'producer' ? 'AKIDTEST111111111111' : 'AKIDTEST222222222222', secretAccessKey: 'x' };
    };
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor });
    await connectBoth(factory, { producerProfile: 'producer', consumerProfile: 'consumer', mfaCodeProvider });
    expect(overlapped).toBe(false);
    expect(codes.sort()).toEqual(['code-for-arn:aws:iam::1:mfa/consumer', 'code-for-arn:aws:iam::1:mfa/producer']);
  });
});

describe('endpoints', () => {
  const ENDPOINTS = `
[profile local]
region = us-east-1
endpoint_url = http://localhost:4566

[profile real]
region = us-east-1

[profile split]
region = us-east-1
endpoint_url = http://localhost:4566
services = localstack

[profile ignoring]
region = us-east-1
endpoint_url = http://localhost:4566
ignore_configured_endpoint_urls = true

[profile missing-services]
region = us-east-1
services = nowhere

[services localstack]
kinesis =
  endpoint_url = http://localhost:4567
logs =
  endpoint_url = http://wrong-key:1
cloudwatch_logs =
  endpoint_url = http://localhost:4568
`;
  const connectWith = async (profile: string, env: NodeJS.ProcessEnv = {}) => {
    const factory = createSessionFactory({ env: { ...files(ENDPOINTS).env, ...env }, credentialsFor: () => keysFor('111111111111') });
    return factory.connect(profile, 'producer', {});
  };

  it("applies a named profile's endpoint_url to that profile's clients only", async () => {
    const env = files(ENDPOINTS).env;
    const factory = createSessionFactory({ env, credentialsFor: accounts({ local: '111111111111', real: '222222222222' }) });
    const { producer, consumer } = await connectBoth(factory, { producerProfile: 'local', consumerProfile: 'real' });
    for (const client of await everyClient(producer.clients)) expect(await customEndpoint(client)).toBe('http://localhost:4566/');
    for (const client of await everyClient(consumer.clients)) expect(await customEndpoint(client)).toBeUndefined();
  });

  it("keeps AWS_PROFILE's endpoint settings away from another profile's clients", async () => {
    // The SDK on its own would read endpoint_url from AWS_PROFILE's profile for every client.
    const temp = files(ENDPOINTS);
    vi.stubEnv('AWS_CONFIG_FILE', temp.env.AWS_CONFIG_FILE);
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', temp.env.AWS_SHARED_CREDENTIALS_FILE);
    vi.stubEnv('AWS_PROFILE', 'local');
    const factory = createSessionFactory({ env: temp.env, credentialsFor: () => keysFor('222222222222') });
    const real = await factory.connect('real', 'consumer', {});
    expect(await requestHost(real.clients.kms, new ListKeysCommand({}))).toBe('kms.us-east-1.amazonaws.com');
    const local = await factory.connect('local', 'producer', {});
    expect(await requestHost(local.clients.kms, new ListKeysCommand({}))).toBe('localhost:4566');
  });

  it('prefers a service entry in the services section over the profile endpoint_url', async () => {
    const session = await connectWith('split');
    expect(await customEndpoint(session.clients.kinesis)).toBe('http://localhost:4567/');
    // The services key for CloudWatch Logs is cloudwatch_logs (from its service id), not logs.
    expect(await customEndpoint(session.clients.logs)).toBe('http://localhost:4568/');
    expect(await customEndpoint(session.clients.kms)).toBe('http://localhost:4566/');
    expect(await customEndpoint(session.clients.sts)).toBe('http://localhost:4566/');
  });

  it('lets AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, override the config file', async () => {
    const session = await connectWith('split', {
      AWS_ENDPOINT_URL_KINESIS: 'http://kinesis.env:1',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://logs.env:2',
      AWS_ENDPOINT_URL: 'http://global.env:3',
    });
    expect(await customEndpoint(session.clients.kinesis)).toBe('http://kinesis.env:1/');
    expect(await customEndpoint(session.clients.logs)).toBe('http://logs.env:2/');
    expect(await customEndpoint(session.clients.iam)).toBe('http://global.env:3/');

    const plain = await connectWith('real', { AWS_ENDPOINT_URL_STS: 'http://sts.env:4' });
    expect(await customEndpoint(plain.clients.sts)).toBe('http://sts.env:4/');
    expect(await customEndpoint(plain.clients.kinesis)).toBeUndefined();
  });

  it('ignores every configured endpoint when asked to, by the environment or the profile', async () => {
    const byEnv = await connectWith('split', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://global.env:3' });
    for (const client of await everyClient(byEnv.clients)) expect(await customEndpoint(client)).toBeUndefined();

    const byProfile = await connectWith('ignoring');
    for (const client of await everyClient(byProfile.clients)) expect(await customEndpoint(client)).toBeUndefined();

    // A set environment variable decides, even when it says false.
    const envWins = await connectWith('ignoring', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' });
    expect(await customEndpoint(envWins.clients.kinesis)).toBe('http://localhost:4566/');

    const error = await userError(connectWith('split', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'yes' }));
    expect(error.message).toContain('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS');
  });

  it('explains a services line that names a missing section', async () => {
    const error = await userError(connectWith('missing-services'));
    expect(error.message).toContain('"missing-services"');
    expect(error.message).toContain('[services nowhere]');
  });

  it('rejects an endpoint url that is not a URL, naming where it came from', async () => {
    const error = await userError(connectWith('real', { AWS_ENDPOINT_URL_KMS: 'localhost:4566' }));
    expect(error.message).toContain('AWS_ENDPOINT_URL_KMS');
  });

  it('disables the CloudWatch Logs host prefix only with a custom endpoint', async () => {
    const local = await connectWith('local');
    expect(local.clients.logs.config.disableHostPrefix).toBe(true);
    expect(await requestHost(local.clients.logs, new StartLiveTailCommand({ logGroupIdentifiers: ['arn:aws:logs:us-east-1:111111111111:log-group:x'] }))).toBe(
      'localhost:4566',
    );
    const real = await connectWith('real');
    expect(real.clients.logs.config.disableHostPrefix).toBe(false);
    expect(await requestHost(real.clients.logs, new StartLiveTailCommand({ logGroupIdentifiers: ['arn:aws:logs:us-east-1:111111111111:log-group:x'] }))).toMatch(
      /^stream(ing)?-logs\.us-east-1\.amazonaws\.com$/,
    );
  });

  it('leaves other clients to the SDK default when only one service is configured', async () => {
    const session = await connectWith('real', { AWS_ENDPOINT_URL_KINESIS: 'http://localhost:4567' });
    expect(await requestHost(session.clients.kinesis, new ListStreamsCommand({}))).toBe('localhost:4567');
    expect(await requestHost(session.clients.kms, new ListKeysCommand({}))).toBe('kms.us-east-1.amazonaws.com');
  });
});

describe('credential failures', () => {
  const stsError = (name: string, message: string) =>
    new STSServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 403, requestId: 'req-1' } });

  it('reads static keys from a real credentials file through fromIni', async () => {
    const temp = files('[profile keys]\nregion = eu-west-1\n', '[keys]\naws_access_key_id = AKIDTEST333333333333\naws_secret_access_key = s3cr3t\n');
    const factory = createSessionFactory({ env: temp.env });
    const session = await factory.connect('keys', 'consumer', {});
    expect(session.accountId).toBe('333333333333');
    const provider = session.clients.kinesis.config.credentials as unknown as AwsCredentialIdentityProvider;
    expect(await provider()).toMatchObject({ accessKeyId: 'AKIDTEST333333333333', secretAccessKey: 's3cr3t' });
  });

  it('maps an expired legacy SSO token (the real provider, a real token file) to aws sso login', async () => {
    const startUrl = 'https://example.awsapps.com/start';
    const temp = files(
      `[profile sso]\nregion = eu-west-1\nsso_start_url = ${startUrl}\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Admin\n`,
    );
    writeSsoToken(temp.dir, startUrl, { accessToken: 'tok', expiresAt: '2020-01-01T00:00:00Z', region: 'eu-west-1', startUrl });
    vi.stubEnv('HOME', temp.dir);
    vi.stubEnv('USERPROFILE', temp.dir);
    const factory = createSessionFactory({ env: temp.env });
    const error = await userError(factory.connect('sso', 'producer', {}));
    expect(error.message).toContain('"sso"');
    expect(error.message).toContain('SSO');
    expect(error.hint).toBe('Run `aws sso login --profile sso`.');
  });

  it('maps an expired sso-session token that cannot be refreshed to aws sso login', async () => {
    const temp = files(
      '[profile sso2]\nregion = eu-west-1\nsso_session = corp2\nsso_account_id = 111111111111\nsso_role_name = Admin\n\n' +
        '[sso-session corp2]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n',
    );
    writeSsoToken(temp.dir, 'corp2', { accessToken: 'tok', expiresAt: '2020-01-01T00:00:00Z' });
    vi.stubEnv('HOME', temp.dir);
    vi.stubEnv('USERPROFILE', temp.dir);
    const factory = createSessionFactory({ env: temp.env });
    const error = await userError(factory.connect('sso2', 'consumer', {}));
    expect(error.hint).toBe('Run `aws sso login --profile sso2`.');
  });

  it.each([
    'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.',
    "Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
    "The SSO session token associated with profile=dev was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
    'Session token not found or invalid',
  ])('maps the SDK message "%s" to aws sso login', async (message) => {
    const failing = async () => {
      throw Object.assign(new Error(message), { name: 'CredentialsProviderError', tryNextLink: false });
    };
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: () => failing });
    const error = await userError(factory.connect('producer', 'producer', {}));
    expect(error.message).toContain('"producer"');
    expect(error.hint).toBe('Run `aws sso login --profile producer`.');
  });

  it('says to check the keys when a profile has no usable credentials', async () => {
    const temp = files('[profile empty]\nregion = eu-west-1\noutput = json\n');
    const factory = createSessionFactory({ env: temp.env });
    const error = await userError(factory.connect('empty', 'producer', {}));
    expect(error.message).toContain('"empty"');
    expect(error.hint).toContain('aws_access_key_id');
    expect(error.hint).toContain('aws configure --profile empty');
  });

  it('says an MFA code is needed when the run cannot ask for one', async () => {
    const temp = files(
      '[profile mfa]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111111111111:role/Admin\nsource_profile = base\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n',
      '[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = x\n',
    );
    const factory = createSessionFactory({ env: temp.env });
    const error = await userError(factory.connect('mfa', 'producer', {}));
    expect(error.message).toContain('"mfa"');
    expect(error.message).toContain('MFA');
  });

  it("assumes a role_arn profile's role with the MFA code, at the profile's own STS endpoint", async () => {
    const temp = files(
      '[profile role]\nregion = eu-west-1\nendpoint_url = http://localhost:4566\nrole_arn = arn:aws:iam::444444444444:role/Admin\n' +
        'source_profile = base\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n',
      '[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = x\n',
    );
    const assumeEndpoints: (string | undefined)[] = [];
    sts.on(AssumeRoleCommand).callsFake(async (input: AssumeRoleCommandInput, getClient) => {
      assumeEndpoints.push(await customEndpoint(getClient() as STSClient));
      expect(input).toMatchObject({ RoleArn: 'arn:aws:iam::444444444444:role/Admin', SerialNumber: 'arn:aws:iam::111111111111:mfa/me', TokenCode: '123456' });
      return {
        Credentials: { AccessKeyId: 'AKIDTEST444444444444', SecretAccessKey: 'y', SessionToken: 'z', Expiration: new Date(Date.now() + 3600_000) },
        AssumedRoleUser: { Arn: 'arn:aws:sts::444444444444:assumed-role/Admin/s', AssumedRoleId: 'AROA:s' },
      };
    });
    const mfaCodeProvider = vi.fn(async () => '123456');
    const factory = createSessionFactory({ env: temp.env });
    const session = await factory.connect('role', 'producer', { mfaCodeProvider });
    expect(session.accountId).toBe('444444444444');
    expect(mfaCodeProvider).toHaveBeenCalledWith('arn:aws:iam::111111111111:mfa/me');
    expect(assumeEndpoints).toEqual(['http://localhost:4566/']);
    // All six clients share the one assumed-role session: one prompt, one AssumeRole.
    const provider = session.clients.iam.config.credentials as unknown as AwsCredentialIdentityProvider;
    expect((await provider()).accessKeyId).toBe('AKIDTEST444444444444');
    expect(mfaCodeProvider).toHaveBeenCalledTimes(1);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it.each(['ExpiredToken', 'InvalidClientTokenId', 'SignatureDoesNotMatch'])('tells the user to refresh credentials on STS %s', async (code) => {
    sts.on(GetCallerIdentityCommand).rejects(stsError(code, 'The security token included in the request is expired'));
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: accounts({ producer: '111111111111' }) });
    const error = await userError(factory.connect('producer', 'producer', {}));
    expect(error.message).toContain(code);
    expect(error.message).toContain('"producer"');
    expect(error.hint).toMatch(/Refresh the credentials of profile "producer"/);
  });

  it('names the custom endpoint when it cannot be reached', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }));
    const temp = files('[profile local]\nregion = us-east-1\nendpoint_url = http://localhost:4566\n');
    const factory = createSessionFactory({ env: temp.env, credentialsFor: () => keysFor('111111111111') });
    const error = await userError(factory.connect('local', 'producer', {}));
    expect(error.message).toContain('http://localhost:4566');
    expect(error.message).toContain('"local"');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('keeps unknown failures as internal errors that still name the profile', async () => {
    sts.on(GetCallerIdentityCommand).rejects(new TypeError('something broke'));
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: accounts({ producer: '111111111111' }) });
    const error = await factory.connect('producer', 'producer', {}).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('"producer"');
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('tries a failed credential resolution again on the next connect', async () => {
    let calls = 0;
    const flaky: AwsCredentialIdentityProvider = async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('Token is expired.'), { name: 'CredentialsProviderError' });
      return { accessKeyId: 'AKIDTEST111111111111', secretAccessKey: 'x' };
    };
    const factory = createSessionFactory({ env: files(TWO_PROFILES).env, credentialsFor: () => flaky });
    await userError(factory.connect('producer', 'producer', {}));
    expect((await factory.connect('producer', 'producer', {})).accountId).toBe('111111111111');
  });
});

describe('debug logging', () => {
  it('explains the resolution and logs SDK requests with credentials redacted', async () => {
    sts.restore();
    // A real STS client whose transport answers locally, so the SDK logger middleware runs.
    const lines: string[] = [];
    const factory = createSessionFactory({
      env: files('[profile local]\nregion = us-east-1\nendpoint_url = http://localhost:4566\n').env,
      credentialsFor: () => async () => ({ accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'topsecret', sessionToken: 'sessiontok' }),
      logger: (line) => lines.push(line),
      clientOverrides: {
        sts: {
          requestHandler: {
            handle: async () => ({
              response: {
                statusCode: 200,
                headers: { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-123' },
                body: Buffer.from(
                  '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/t</Arn><UserId>AIDA</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-123</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
                ),
              },
            }),
          } as never,
        },
      },
    });
    const session = await factory.connect('local', 'producer', {});
    expect(session.accountId).toBe('111111111111');
    const text = lines.join('\n');
    expect(text).toContain('region us-east-1 (from region of profile "local")');
    expect(text).toContain('http://localhost:4566');
    expect(text).toContain('req-123');
    expect(text).toContain('GetCallerIdentity');
    expect(text).not.toContain('topsecret');
    expect(text).not.toContain('sessiontok');
    expect(text).not.toContain('AKIAABCDEFGHIJKLMNOP');
    sts = fakeSts();
  });
});

function writeSsoToken(home: string, id: string, token: Record<string, string>): void {
  const dir = join(home, '.aws', 'sso', 'cache');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${createHash('sha1').update(id).digest('hex')}.json`), JSON.stringify(token));
}


describe('role assumption failures', () => {
  it('says the role could not be assumed, not that STS identity failed', async () => {
    const temp = files(
      '[profile role]\nregion = eu-west-1\nrole_arn = arn:aws:iam::444444444444:role/Admin\nsource_profile = base\n',
      '[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = x\n',
    );
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: 'AccessDenied',
        message: 'User: arn:aws:iam::111111111111:user/me is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444444444444:role/Admin',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const error = await userError(createSessionFactory({ env: temp.env }).connect('role', 'producer', {}));
    expect(error.message).toContain('"role" could not assume its role');
    expect(error.hint).toContain('trust policy');
  });
});
