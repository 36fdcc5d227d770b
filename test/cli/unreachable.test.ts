import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');

/** A loopback STS that answers GetCallerIdentity, so a profile resolves without AWS. */
function fakeSts(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        '<Arn>arn:aws:iam::111111111111:user/test</Arn><UserId>AIDATEST</UserId><Account>111111111111</Account>' +
        '</GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function kdsXacct(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('an unreachable endpoint', () => {
  let sts: Server;
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sts = await fakeSts();
    home = mkdtempSync(path.join(tmpdir(), 'kds-xacct-net-'));
    writeFileSync(path.join(home, 'config'), `[profile prod]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:${(sts.address() as AddressInfo).port}\n`);
    writeFileSync(path.join(home, 'credentials'), '[prod]\naws_access_key_id = AKIATEST\naws_secret_access_key = test\n');
    env = { HOME: home, AWS_CONFIG_FILE: path.join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials') };
  });
  afterAll(() => new Promise((resolve) => sts.close(resolve)));

  it('names the service, its url, the account and where the url came from, with a usage exit code', async () => {
    const port = await closedPort();
    const { code, stderr } = await kdsXacct(['send-test-record', '--producer-profile', 'prod', '--stream-name', 'orders', '--state-dir', home], {
      ...env,
      AWS_ENDPOINT_URL_KINESIS: `http://127.0.0.1:${port}`,
    });
    expect(stderr).toContain(`Could not reach Kinesis at http://127.0.0.1:${port} for the producer account (profile "prod", eu-west-1): ECONNREFUSED.`);
    expect(stderr).toContain('AWS_ENDPOINT_URL_KINESIS');
    expect(stderr).not.toMatch(/probably a bug|pending stream has been canceled/);
    expect(code).toBe(2);
  });

  it('says what to check when STS itself cannot be reached', async () => {
    const port = await closedPort();
    const { code, stderr } = await kdsXacct(['send-test-record', '--producer-profile', 'prod', '--stream-name', 'orders', '--state-dir', home], {
      ...env,
      AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}`,
    });
    expect(stderr).toContain(`Could not reach STS at http://127.0.0.1:${port} for the producer account (profile "prod", eu-west-1): ECONNREFUSED.`);
    expect(stderr).not.toMatch(/probably a bug/);
    expect(code).toBe(2);
  });
});
