import { describe, expect, it } from 'vitest';
import { commandLine, suggestCommand } from '../../src/commands/hints.js';
import { programWords } from '../../src/commands/invocation.js';
import { awsCommand } from '../../src/aws/session.js';

const program = ['kds-xacct'];
const aws = { sandbox: false, stateDir: '.kds-xacct', program };
/** As program.ts and the sandbox leave them: the sandbox's deployments live in `<state dir>/sandbox`. */
const sandbox = { sandbox: true, stateDir: '.kds-xacct/sandbox', program };

describe('commandLine', () => {
  it('repeats only what differs from the defaults', () => {
    expect(commandLine(aws, 'status', { name: 'orders' })).toBe('kds-xacct status --name orders');
    expect(commandLine({ sandbox: false, stateDir: 'ci/state', program }, 'teardown', { name: 'orders' })).toBe('kds-xacct teardown --name orders --state-dir ci/state');
  });

  it('carries --sandbox and the state folder the user gave, never the sandbox folder inside it', () => {
    expect(commandLine(sandbox, 'setup', { name: 'demo' })).toBe('kds-xacct setup --name demo --sandbox');
    expect(commandLine({ sandbox: true, stateDir: 'state/sandbox', program }, 'setup', { name: 'demo' })).toBe('kds-xacct setup --name demo --sandbox --state-dir state');
  });

  it('names the profiles and region when no state file will, with placeholders for what is not known', () => {
    const accounts = { producerProfile: 'prod', consumerProfile: 'analytics', region: 'eu-west-1' };
    expect(commandLine(aws, 'setup', { name: 'orders', accounts })).toBe('kds-xacct setup --name orders --producer-profile prod --consumer-profile analytics --region eu-west-1');
    expect(commandLine(aws, 'teardown', { name: 'orders', accounts: { consumerProfile: 'analytics' } })).toBe(
      'kds-xacct teardown --name orders --producer-profile <producer-profile> --consumer-profile analytics',
    );
    // The sandbox's own profiles and region are implied by --sandbox.
    expect(commandLine(sandbox, 'setup', { name: 'demo', accounts })).toBe('kds-xacct setup --name demo --sandbox');
  });

  it('quotes what a shell would otherwise split or interpret', () => {
    expect(commandLine({ sandbox: false, stateDir: "my state's", program }, 'status', { name: 'orders', args: ['--since', '1h'] })).toBe(
      `kds-xacct status --name orders --state-dir 'my state'\\''s' --since 1h`,
    );
  });

  it('binds the deployment for domain code that prints hints', () => {
    expect(suggestCommand(sandbox, 'demo')('send-test-record', ['--verify'])).toBe('kds-xacct send-test-record --name demo --sandbox --verify');
    expect(suggestCommand(aws, undefined)('tail-logs', ['--function-name', 'f'])).toBe('kds-xacct tail-logs --function-name f');
  });
});

describe('programWords', () => {
  const checkout = '/home/me/kds-xacct';
  const script = `${checkout}/bin/kds-xacct.js`;

  it('names the script Node was given, by a path that works from the current folder', () => {
    expect(programWords({ script, env: {}, cwd: checkout })).toEqual(['node', 'bin/kds-xacct.js']);
    expect(programWords({ script, env: {}, cwd: `${checkout}/bin` })).toEqual(['node', './kds-xacct.js']);
    expect(programWords({ script, env: {}, cwd: '/home/me/elsewhere' })).toEqual(['node', script]);
    // An npm script that runs `node bin/kds-xacct.js` in the checkout: the same again.
    expect(programWords({ script, env: { npm_command: 'run-script' }, cwd: checkout })).toEqual(['node', 'bin/kds-xacct.js']);
  });

  it('names an installed program by its name when its folder is on PATH, else by its path', () => {
    const link = '/home/me/.local/bin/kds-xacct';
    expect(programWords({ script: link, env: { PATH: '/usr/bin:/home/me/.local/bin' }, cwd: '/tmp' })).toEqual(['kds-xacct']);
    expect(programWords({ script: '/work/app/node_modules/.bin/kds-xacct', env: { PATH: '/usr/bin' }, cwd: '/work/app' })).toEqual(['node_modules/.bin/kds-xacct']);
  });

  it('names npx under npx and npm scripts, with the packages npx was given', () => {
    const cached = '/home/me/.npm/_npx/0123/node_modules/.bin/kds-xacct';
    expect(programWords({ script: cached, env: { npm_command: 'exec', PATH: '/home/me/.npm/_npx/0123/node_modules/.bin' }, cwd: '/tmp' })).toEqual(['npx', 'kds-xacct']);
    expect(programWords({ script: cached, env: { npm_command: 'exec', npm_config_package: '/tmp/kds-xacct-0.1.0.tgz' }, cwd: '/tmp' })).toEqual(['npx', '--package=/tmp/kds-xacct-0.1.0.tgz', 'kds-xacct']);
    expect(programWords({ script: '/work/app/node_modules/.bin/kds-xacct', env: { npm_command: 'run-script' }, cwd: '/work/app' })).toEqual(['npx', 'kds-xacct']);
  });

  it('is kds-xacct when no script started it (the program run in process)', () => {
    expect(programWords({ env: {}, cwd: '/tmp' })).toEqual(['kds-xacct']);
  });

  it('starts every printed command, quoted where a shell needs it', () => {
    expect(commandLine({ ...aws, program: ['node', '/home/me/my tools/bin/kds-xacct.js'] }, 'status', { name: 'orders' })).toBe(
      `node '/home/me/my tools/bin/kds-xacct.js' status --name orders`,
    );
  });
});

describe('awsCommand', () => {
  const account = { role: 'producer' as const, profile: 'prod', region: 'eu-west-1' };

  it('reaches the account it acts on when pasted', () => {
    expect(awsCommand(account, 'kms enable-key --key-id k')).toBe('aws kms enable-key --key-id k --profile prod --region eu-west-1');
  });

  it('in the sandbox, which the AWS CLI cannot reach, is what would be run on AWS, and says so', () => {
    expect(awsCommand({ ...account, profile: 'sandbox-producer', simulated: true }, 'kms enable-key --key-id k')).toBe(
      'aws kms enable-key --key-id k --profile <producer-profile> --region eu-west-1 # on AWS, not the sandbox',
    );
  });
});
