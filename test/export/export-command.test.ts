import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import '../../src/commands/export.js';
import type { ExportReport } from '../../src/commands/export.js';
import { ExitCode } from '../../src/errors.js';
import { CONSUMER, PRODUCER, REGION, twoAccounts } from '../support/two-accounts.js';
import { checkCloudFormation, loadValidator } from './cloudformation-checks.js';
import { checkTerraform } from './terraform-checks.js';

let world: ReturnType<typeof twoAccounts>;
beforeAll(loadValidator, 120_000);
afterEach(() => world?.cloud.restore());

const newFolder = () => path.join(mkdtempSync(path.join(tmpdir(), 'kds-xacct-export-')), 'out');

/** Runs export into a new folder; returns its exit code, the folder, its --json report and the mutating calls it made. */
async function runExport(name: string, format: string, ...args: string[]) {
  const out = newFolder();
  const mutating = world.cloud.mutatingCalls().length;
  const results = world.harness.reporter.results.length;
  const code = await world.harness.run('export', '--name', name, '--format', format, '--out', out, ...args);
  return {
    code,
    out,
    report: world.harness.reporter.results[results] as ExportReport | undefined,
    mutatingCalls: world.cloud.mutatingCalls().slice(mutating),
    read: (file: string) => readFileSync(path.join(out, file), 'utf8'),
  };
}

/** The live ids of a deployment as its state file records them, one entry per resource it made (adopted ones are not its to import). */
async function madeIds(name: string): Promise<{ terraform: string[]; cloudformation: string[][] }> {
  const steps = (await world.store.load(name))!.steps;
  const made = (id: string) => steps[id]?.origin === 'created';
  const o = (id: string) => steps[id]!.outputs;
  const rows: Array<[string, string[]] | undefined> = [
    made('kms-key') ? [o('kms-key').keyId!, [o('kms-key').keyId!]] : undefined,
    made('kms-key') ? [o('kms-key').aliasName!, [o('kms-key').aliasName!]] : undefined,
    made('stream') ? [o('stream').streamName!, [o('stream').streamName!]] : undefined,
    [o('efo-consumer').consumerArn!, [o('efo-consumer').consumerArn!]],
    [o('stream-policy').resourceArn!, [o('stream-policy').resourceArn!]],
    [o('consumer-policy').resourceArn!, [o('consumer-policy').resourceArn!]],
    [o('role').roleName!, [o('role').roleName!]],
    [`${o('role-policy').roleName}:${o('role-policy').policyName}`, [o('role-policy').policyName!, o('role-policy').roleName!]],
    made('log-group') ? [o('log-group').logGroupName!, [o('log-group').logGroupName!]] : undefined,
    made('failure-queue') ? [o('failure-queue').queueUrl!, [o('failure-queue').queueUrl!]] : undefined,
    made('function') ? [o('function').functionName!, [o('function').functionName!]] : undefined,
    [o('event-source-mapping').uuid!, [o('event-source-mapping').uuid!]],
  ];
  const present = rows.filter((r): r is [string, string[]] => r !== undefined);
  const grant = `${o('kms-grant').keyId}:${o('kms-grant').grantId}`;
  return { terraform: [...present.map((r) => r[0]), grant], cloudformation: present.map((r) => r[1]) };
}

/** The identifier values of each resources-to-import entry, as `madeIds` lists them. */
function importEntries(out: string): string[][] {
  return readdirSync(out)
    .filter((f) => f.endsWith('.import.json'))
    .flatMap((f) => (JSON.parse(readFileSync(path.join(out, f), 'utf8')) as Array<{ ResourceIdentifier: Record<string, string> }>).map((e) => Object.values(e.ResourceIdentifier)));
}

async function terraformOf(out: string) {
  const files = readdirSync(out).map((p) => ({ path: p, content: p.endsWith('.zip') ? new Uint8Array(readFileSync(path.join(out, p))) : readFileSync(path.join(out, p), 'utf8') }));
  return checkTerraform({ files, warnings: [], imports: 0 });
}

const sorted = <T>(list: T[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('export of a function whose code changed since setup', () => {
  it('writes no zip it cannot vouch for: the live hash, and a warning that says where the deployed code is', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const lambda = new LambdaClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'orders-consumer', ZipFile: new TextEncoder().encode('other code') }));
    const live = world.cloud.regionState(CONSUMER, REGION)!.functions.get('orders-consumer')!.codeSha256;

    const tf = await runExport('orders', 'terraform', '--json');
    const parsed = await terraformOf(tf.out);
    expect(readdirSync(tf.out)).not.toContain('function.zip');
    expect(parsed.resources.find((r) => r.type === 'aws_lambda_function')!.body.source_code_hash).toBe(live);
    expect(tf.report!.warnings.find((w) => w.includes('function.zip was not written'))).toContain('`aws lambda get-function --function-name orders-consumer --profile analytics --region eu-west-1`');
  });
});

describe('export: both formats adopt the live deployment, each live id imported exactly once, and change nothing', () => {
  it('greenfield, CloudFormation: three ordered templates that pass the validator, the grant as a key-policy statement for the role', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    const { code, out, report, mutatingCalls, read } = await runExport('orders', 'cloudformation', '--json');

    expect(code).toBe(ExitCode.Success);
    expect(mutatingCalls).toEqual([]);
    const { files, templates } = checkCloudFormation(out);
    expect(files).toEqual(['1-consumer.json', '2-producer.json', '3-consumer-mapping.json']);
    expect(sorted(importEntries(out))).toEqual(sorted((await madeIds('orders')).cloudformation));
    const key = templates['2-producer.json']!.Resources.StreamKey!.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> };
    const stream = world.cloud.regionState(PRODUCER, REGION)!.streams.get('orders-stream')!;
    expect(key.Statement.at(-1)).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: { Ref: 'ConsumerRoleArn' } },
      Action: ['kms:Decrypt'],
      Condition: { StringEquals: { 'kms:EncryptionContext:aws:kinesis:arn': stream.arn } },
    });
    expect(templates['2-producer.json']!.Parameters!.ConsumerRoleArn!.Default).toBe(`arn:aws:iam::${CONSUMER}:role/kds-xacct-orders-consumer`);
    expect(templates['3-consumer-mapping.json']!.Parameters!.EfoConsumerArn!.Default).toBe([...stream.consumers.values()][0]!.arn);
    expect(report).toMatchObject({ name: 'orders', format: 'cloudformation', imports: importEntries(out).length });
    expect(report!.files.sort()).toEqual(readdirSync(out).sort());
    expect(read('README.md')).toContain('--resources-to-import file://2-producer.import.json');
    expect(read('README.md')).toContain('`2-producer.json` (producer account 111111111111): 6 resources to import.');
    expect(read('README.md')).toContain('aws cloudformation execute-change-set --stack-name kds-xacct-orders-producer --change-set-name import --profile prod --region eu-west-1');
    expect(read('README.md')).toContain('--capabilities CAPABILITY_NAMED_IAM --profile analytics');
    expect(readdirSync(out).map(read).join('\n')).not.toMatch(/AKIA|fake-secret/);
  });

  it('brownfield (adopted stream and function): neither is imported; both are data sources or parameters', async () => {
    world = twoAccounts();
    world.cloud.seedStream(PRODUCER, REGION, { name: 'clicks', records: 3 });
    world.cloud.seedFunction(CONSUMER, REGION, { name: 'clicks-reader' });
    expect(await world.setup('--name', 'clicks', '--stream-name', 'clicks', '--use-existing-stream', '--function-name', 'clicks-reader', '--use-existing-function'), world.harness.reporter.text).toBe(ExitCode.Success);

    const tf = await runExport('clicks', 'terraform');
    expect(tf.code).toBe(ExitCode.Success);
    const parsed = await terraformOf(tf.out);
    expect(parsed.data.map((d) => `${d.type}.${d.name}`)).toEqual(expect.arrayContaining(['aws_kinesis_stream.stream', 'aws_lambda_function.consumer']));
    expect(sorted(parsed.imports.map((i) => i.id))).toEqual(sorted((await madeIds('clicks')).terraform));
    expect(parsed.imports.map((i) => i.id)).not.toContain('clicks-reader');
    expect(readdirSync(tf.out)).not.toContain('function.zip');
    expect(tf.read('README.md')).toMatch(/encryption kds-xacct turned on for the adopted stream clicks/);

    const cfn = await runExport('clicks', 'cloudformation');
    const { templates } = checkCloudFormation(cfn.out);
    expect(sorted(importEntries(cfn.out))).toEqual(sorted((await madeIds('clicks')).cloudformation));
    expect(templates['2-producer.json']!.Parameters!.StreamArn!.Default).toBe(`arn:aws:kinesis:${REGION}:${PRODUCER}:stream/clicks`);
    expect(templates['3-consumer-mapping.json']!.Parameters!.FunctionArn!.Default).toBe(`arn:aws:lambda:${REGION}:${CONSUMER}:function:clicks-reader`);
    expect(Object.values(templates).flatMap((t) => Object.values(t.Resources).map((r) => r.Type))).not.toContain('AWS::Lambda::Function');
  });

  it("with --failure-destination: the user's queue is the mapping's destination, referred to and never imported", async () => {
    world = twoAccounts();
    const sqs = new SQSClient({ region: REGION, credentials: world.cloud.credentialsFor(CONSUMER) });
    await sqs.send(new CreateQueueCommand({ QueueName: 'team-dlq' }));
    const dlq = `arn:aws:sqs:${REGION}:${CONSUMER}:team-dlq`;
    expect(await world.setup('--name', 'orders', '--failure-destination', dlq)).toBe(ExitCode.Success);

    const tf = await runExport('orders', 'terraform');
    const parsed = await terraformOf(tf.out);
    const mapping = parsed.resources.find((r) => r.type === 'aws_lambda_event_source_mapping')!;
    expect(mapping.body.destination_config).toEqual([{ on_failure: [{ destination_arn: dlq }] }]);
    expect(sorted(parsed.imports.map((i) => i.id))).toEqual(sorted((await madeIds('orders')).terraform));
    expect(parsed.resources.map((r) => r.type)).not.toContain('aws_sqs_queue');

    const cfn = await runExport('orders', 'cloudformation');
    const { templates } = checkCloudFormation(cfn.out);
    expect(templates['3-consumer-mapping.json']!.Parameters!.OnFailureDestinationArn!.Default).toBe(dlq);
  });

  it('two consumer accounts on one stream: the second export refers to the stream and key of the first, and claims neither', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
    expect(await world.harness.run('setup', '--name', 'mkt', '--producer-profile', 'prod', '--consumer-profile', 'marketing', '--yes', '--stream-name', 'orders-stream', '--use-existing-stream', '--kms-key', 'alias/kds-xacct/orders')).toBe(ExitCode.Success);

    const tf = await runExport('mkt', 'terraform');
    const parsed = await terraformOf(tf.out);
    expect(parsed.resources.map((r) => r.type)).not.toEqual(expect.arrayContaining(['aws_kinesis_stream']));
    expect(sorted(parsed.imports.map((i) => i.id))).toEqual(sorted((await madeIds('mkt')).terraform));

    const cfn = await runExport('mkt', 'cloudformation', '--json');
    checkCloudFormation(cfn.out);
    const ids = importEntries(cfn.out).flat();
    expect(ids).not.toContain('orders-stream');
    expect(sorted(importEntries(cfn.out))).toEqual(sorted((await madeIds('mkt')).cloudformation));
    const keyWarning = cfn.report!.warnings.find((w) => w.includes('adopted, not made'))!;
    expect(keyWarning).toMatch(/aws kms create-grant --key-id \S+ --grantee-principal arn:aws:iam::333333333333:role\/\S+ --operations Decrypt .* --profile prod --region eu-west-1$/);
  });
});

describe('export: refusals write nothing and exit 2', () => {
  it('refuses a deployment that setup has not finished, and names the steps and the command that finishes it', async () => {
    world = twoAccounts();
    world.cloud.failOn({ command: 'CreateEventSourceMapping' }, { code: 'AccessDeniedException', message: 'boom' });
    expect(await world.setup('--name', 'orders', '--no-rollback')).toBe(ExitCode.Failed);
    const partial = await runExport('orders', 'terraform');
    expect(partial.code).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain('Deployment "orders" is not complete: event-source-mapping has not run');
    expect(world.harness.reporter.text).toMatch(/Run `kds-xacct setup --name orders` to finish it/);
    expect(() => readdirSync(partial.out)).toThrow(/ENOENT/);
  });

  it('refuses an unknown format, a folder that holds other files, and a torn-down deployment', async () => {
    world = twoAccounts();
    expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);

    const unknown = await runExport('orders', 'pulumi');
    expect(unknown.code).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toContain('Unknown export format "pulumi"');
    expect(() => readdirSync(unknown.out)).toThrow(/ENOENT/);

    const occupied = newFolder();
    mkdirSync(occupied);
    writeFileSync(path.join(occupied, 'main.tf'), '# mine\n');
    expect(await world.harness.run('export', '--name', 'orders', '--format', 'terraform', '--out', occupied)).toBe(ExitCode.Usage);
    expect(readdirSync(occupied)).toEqual(['main.tf']);
    expect(world.harness.reporter.text).toContain('add --force');
    expect(await world.harness.run('export', '--name', 'orders', '--format', 'terraform', '--out', occupied, '--force')).toBe(ExitCode.Success);
    expect(readFileSync(path.join(occupied, 'main.tf'), 'utf8')).toBe('# mine\n');

    expect(await world.harness.run('teardown', '--name', 'orders', '--yes')).toBe(ExitCode.Success);
    const gone = await runExport('orders', 'terraform');
    expect(gone.code).toBe(ExitCode.Usage);
    expect(world.harness.reporter.text).toMatch(/Deployment "orders" was torn down at/);
    expect(() => readdirSync(gone.out)).toThrow(/ENOENT/);
  });
});
