import { afterEach, describe, expect, it } from 'vitest';
import { readDeployment, type ExportInput } from '../../src/export/snapshot.js';
import { renderTerraform } from '../../src/export/terraform.js';
import { codeSha256 } from '../../src/pipeline/bundle.js';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';
import { checkTerraform } from './terraform-checks.js';

let world: ReturnType<typeof twoAccounts>;
afterEach(() => world?.cloud.restore());

/** The export's input for a deployment set up in `world`, from its state file and the two profiles. */
async function exportInput(name: string, consumerProfile = 'analytics'): Promise<ExportInput> {
  const state = (await world.store.load(name))!;
  const [producer, consumer] = await Promise.all([world.sessions.connect('prod', 'producer', {}), world.sessions.connect(consumerProfile, 'consumer', {})]);
  return { name, clock: world.clock, producer, consumer, steps: state.steps };
}

/** Every id the state file records for a resource the deployment made, in its documented import form. */
async function liveIdsMade(name: string): Promise<string[]> {
  const steps = (await world.store.load(name))!.steps;
  const made = (id: string) => steps[id]?.origin === 'created';
  const o = (id: string) => steps[id]!.outputs;
  return [
    ...(made('kms-key') ? [o('kms-key').keyId!, o('kms-key').aliasName!] : []),
    ...(made('stream') ? [o('stream').streamName!] : []),
    o('efo-consumer').consumerArn!,
    o('stream-policy').resourceArn!,
    o('consumer-policy').resourceArn!,
    `${o('kms-grant').keyId}:${o('kms-grant').grantId}`,
    o('role').roleName!,
    `${o('role-policy').roleName}:${o('role-policy').policyName}`,
    ...(made('log-group') ? [o('log-group').logGroupName!] : []),
    ...(made('failure-queue') ? [o('failure-queue').queueUrl!] : []),
    ...(made('function') ? [o('function').functionName!] : []),
    o('event-source-mapping').uuid!,
  ];
}

async function exported(name: string, consumerProfile?: string) {
  const calls = world.cloud.mutatingCalls().length;
  const result = await renderTerraform(await readDeployment(await exportInput(name, consumerProfile)));
  expect(world.cloud.mutatingCalls().length, 'reading a deployment changes nothing').toBe(calls);
  const parsed = await checkTerraform(result);
  const file = (path: string) => result.files.find((f) => f.path === path)?.content;
  return { result, parsed, file, text: (path: string) => file(path) as string };
}

describe('export --format terraform', () => {
  it('greenfield: one import block per live id, in its documented format, with aliased providers and the deployed code beside it', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const { result, parsed, file, text } = await exported('orders');

    expect(parsed.imports.map((i) => i.id).sort()).toEqual((await liveIdsMade('orders')).sort());
    expect(parsed.data).toEqual([]);
    expect(text('providers.tf')).toContain(`allowed_account_ids = ["${PRODUCER}"]`);
    expect(text('providers.tf')).toContain(`allowed_account_ids = ["${CONSUMER}"]`);
    expect(text('providers.tf')).toMatch(/variable "producer_profile" \{[^}]*default\s+= "prod"/);
    expect(parsed.imports.find((i) => i.to === 'aws_kms_grant.consumer')!.provider).toBe('aws.producer');
    expect(parsed.imports.find((i) => i.to === 'aws_lambda_event_source_mapping.efo')!.provider).toBe('aws.consumer');
    const fn = world.cloud.regionState(CONSUMER, REGION)!.functions.get('orders-consumer')!;
    expect(codeSha256(file('function.zip') as Uint8Array)).toBe(fn.codeSha256);
    expect(text('README.md')).toContain(`Plan: ${result.imports} to import, 0 to add, 0 to change, 0 to destroy.`);
    expect(text('consumer.tf') + text('producer.tf') + text('providers.tf')).not.toMatch(/secret|AKIA/i);
  });

  it('writes the whole live stream policy, with statements others wrote, and says that this code now owns it', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.harness.run('setup', '--name', 'mkt', '--producer-profile', 'prod', '--consumer-profile', 'marketing', '--yes', '--stream-name', 'orders-stream', '--use-existing-stream', '--kms-key', 'alias/kds-xacct/orders')).toBe(ExitCode.Success);
    const { result, parsed, text } = await exported('mkt', 'marketing');

    expect(parsed.data.map((d) => `${d.type}.${d.name}`)).toEqual(expect.arrayContaining(['aws_kinesis_stream.stream', 'aws_kms_key.stream']));
    expect(parsed.resources.map((r) => r.type)).not.toContain('aws_kinesis_stream');
    expect(parsed.imports.map((i) => i.id)).not.toContain('orders-stream');
    expect(parsed.imports.map((i) => i.id).sort()).toEqual((await liveIdsMade('mkt')).sort());
    const policy = JSON.parse(world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!.policy.current!) as { Statement: Array<{ Sid: string }> };
    expect(policy.Statement).toHaveLength(2);
    for (const s of policy.Statement) expect(text('producer.tf')).toContain(s.Sid);
    expect(result.warnings.find((w) => w.includes('stream policy'))).toMatch(/owns the whole document.*1 statement\(s\) kds-xacct did not write \(KdsXacctOrders/);
  });
});
