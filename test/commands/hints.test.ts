import { describe, expect, it } from 'vitest';
import { commandLine, suggestCommand } from '../../src/commands/hints.js';

const aws = { sandbox: false, stateDir: '.kds-xacct' };
/** As program.ts and the sandbox leave them: the sandbox's deployments live in `<state dir>/sandbox`. */
const sandbox = { sandbox: true, stateDir: '.kds-xacct/sandbox' };

describe('commandLine', () => {
  it('repeats only what differs from the defaults', () => {
    expect(commandLine(aws, 'status', { name: 'orders' })).toBe('kds-xacct status --name orders');
    expect(commandLine({ sandbox: false, stateDir: 'ci/state' }, 'teardown', { name: 'orders' })).toBe('kds-xacct teardown --name orders --state-dir ci/state');
  });

  it('carries --sandbox and the state folder the user gave, never the sandbox folder inside it', () => {
    expect(commandLine(sandbox, 'setup', { name: 'demo' })).toBe('kds-xacct setup --name demo --sandbox');
    expect(commandLine({ sandbox: true, stateDir: 'state/sandbox' }, 'setup', { name: 'demo' })).toBe('kds-xacct setup --name demo --sandbox --state-dir state');
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
    expect(commandLine({ sandbox: false, stateDir: "my state's" }, 'status', { name: 'orders', args: ['--since', '1h'] })).toBe(
      `kds-xacct status --name orders --state-dir 'my state'\\''s' --since 1h`,
    );
  });

  it('binds the deployment for domain code that prints hints', () => {
    expect(suggestCommand(sandbox, 'demo')('send-test-record', ['--verify'])).toBe('kds-xacct send-test-record --name demo --sandbox --verify');
    expect(suggestCommand(aws, undefined)('tail-logs', ['--function-name', 'f'])).toBe('kds-xacct tail-logs --function-name f');
  });
});
