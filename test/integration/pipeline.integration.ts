/**
 * End to end against two real accounts or an AWS-compatible emulator, through the built binary as a
 * user runs it. Opt-in: see config.ts and the README. Every deployment it makes is torn down in a
 * `finally`, and both accounts are then listed to prove nothing of it is left.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { KinesisClient, ListStreamsCommand, ListTagsForResourceCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms';
import { GetFunctionCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { fromIni } from '@aws-sdk/credential-providers';
import { describe, expect, it } from 'vitest';
import { integrationConfig, type IntegrationConfig } from './config.js';

const { config, skipped } = integrationConfig();

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
const TAG_DEPLOYMENT = 'kds-xacct:deployment';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built binary in `cwd` (where its state directory lives), without a terminal, as CI would. */
function kdsXacct(cfg: IntegrationConfig, cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), cfg.commandTimeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The command's --json result document, or a failure that shows what the command printed. */
function resultOf(label: string, run: Run): Record<string, any> {
  const context = `${label} exited ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  expect(run.code, context).toBe(0);
  try {
    return JSON.parse(run.stdout) as Record<string, any>;
  } catch {
    throw new Error(`${label} did not print one JSON document on stdout.\n${context}`);
  }
}

function clients(cfg: IntegrationConfig, profile: string) {
  // AWS_ENDPOINT_URL (if set) is honoured by the SDK itself, as it is by the binary.
  const common = { region: cfg.region, credentials: fromIni({ profile }) };
  return {
    kinesis: new KinesisClient(common),
    kms: new KMSClient(common),
    lambda: new LambdaClient(common),
    iam: new IAMClient(common),
    logs: new CloudWatchLogsClient(common),
  };
}

const gone = (error: unknown) => ['ResourceNotFoundException', 'NotFoundException', 'NoSuchEntityException', 'NoSuchEntity'].includes((error as Error).name);

async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (gone(error)) return false;
    throw error;
  }
}

/**
 * Everything of the deployment still in either account, found by its tag and by its names. A KMS key
 * can only be scheduled for deletion, so a key in PendingDeletion does not count.
 */
async function leftovers(cfg: IntegrationConfig, name: string, known: Record<string, string | undefined>): Promise<string[]> {
  const producer = clients(cfg, cfg.producerProfile);
  const consumer = clients(cfg, cfg.consumerProfile);
  const left: string[] = [];

  const streams: string[] = [];
  let next: string | undefined;
  do {
    const page = await producer.kinesis.send(new ListStreamsCommand({ ...(next && { NextToken: next }), Limit: 100 }));
    streams.push(...(page.StreamNames ?? []));
    next = page.HasMoreStreams ? page.NextToken : undefined;
  } while (next && streams.length < 1000);
  for (const stream of streams) {
    const summary = await producer.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream })).catch((e: unknown) => (gone(e) ? undefined : Promise.reject(e)));
    if (!summary || summary.StreamDescriptionSummary?.StreamStatus === 'DELETING') continue;
    const tags = await producer.kinesis.send(new ListTagsForResourceCommand({ ResourceARN: summary.StreamDescriptionSummary!.StreamARN }));
    if (stream === known.streamName || tags.Tags?.some((t) => t.Key === TAG_DEPLOYMENT && t.Value === name)) left.push(`producer: stream ${stream}`);
  }
  const aliases = (await producer.kms.send(new ListAliasesCommand({ Limit: 100 }))).Aliases ?? [];
  for (const alias of aliases.filter((a) => a.AliasName === `alias/kds-xacct/${name}`)) left.push(`producer: KMS alias ${alias.AliasName}`);
  if (known.keyId) {
    const meta = (await producer.kms.send(new DescribeKeyCommand({ KeyId: known.keyId }))).KeyMetadata;
    if (meta && meta.KeyState !== 'PendingDeletion') left.push(`producer: KMS key ${known.keyId} is ${meta.KeyState}, not PendingDeletion`);
  }

  const functionName = known.functionName ?? `${name}-consumer`;
  if (await exists(() => consumer.lambda.send(new GetFunctionCommand({ FunctionName: functionName })))) left.push(`consumer: function ${functionName}`);
  const functions = (await consumer.lambda.send(new ListFunctionsCommand({ MaxItems: 50 }))).Functions ?? [];
  for (const fn of functions) {
    const tags = await consumer.lambda.send(new ListTagsCommand({ Resource: fn.FunctionArn }));
    if (tags.Tags?.[TAG_DEPLOYMENT] === name && fn.FunctionName !== functionName) left.push(`consumer: function ${fn.FunctionName}`);
  }
  // Unfiltered: a mapping outlives its function, and a filter by a deleted function's name finds nothing.
  const mappings = [];
  let marker: string | undefined;
  do {
    const page = await consumer.lambda.send(new ListEventSourceMappingsCommand({ ...(marker && { Marker: marker }) }));
    mappings.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  for (const m of mappings) {
    if (m.State === 'Deleting') continue;
    if (m.FunctionArn?.endsWith(`:function:${functionName}`) || (known.consumerArn && m.EventSourceArn === known.consumerArn)) left.push(`consumer: event source mapping ${m.UUID}`);
  }
  const roleName = known.roleName ?? `kds-xacct-${name}-consumer`;
  if (await exists(() => consumer.iam.send(new GetRoleCommand({ RoleName: roleName })))) left.push(`consumer: IAM role ${roleName}`);
  const groups = (await consumer.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${functionName}` }))).logGroups ?? [];
  for (const g of groups.filter((g) => g.logGroupName === `/aws/lambda/${functionName}`)) left.push(`consumer: log group ${g.logGroupName}`);
  return left;
}

/** The one output of a setup step in setup's --json result. */
function output(result: Record<string, any> | undefined, step: string, key: string): string | undefined {
  const resource = (result?.resources as Array<{ step: string; outputs: Record<string, string> }> | undefined)?.find((r) => r.step === step);
  return resource?.outputs[key];
}

describe.skipIf(!config)(`kds-xacct against two accounts${skipped ? ' (skipped: see the message above)' : ''}`, () => {
  it('sets up, reports healthy, delivers a record, changes nothing on a re-run, and tears down without leftovers', { timeout: 6 * (config?.commandTimeoutMs ?? 0) + 10 * 60_000 }, async () => {
    const cfg = config!;
    const name = `it-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    const cwd = mkdtempSync(path.join(tmpdir(), 'kds-xacct-it-'));
    const accounts = ['--producer-profile', cfg.producerProfile, '--consumer-profile', cfg.consumerProfile, '--region', cfg.region];
    const step = (what: string) => console.log(`[${new Date().toISOString()}] ${name}: ${what}`);
    let setup: Record<string, any> | undefined;
    let failure: unknown;
    try {
      step('setup --yes');
      setup = resultOf('setup', await kdsXacct(cfg, cwd, ['setup', ...accounts, '--name', name, '--yes', '--json']));
      expect(setup.outcome).toBe('succeeded');

      step('status');
      const status = resultOf('status', await kdsXacct(cfg, cwd, ['status', '--name', name, '--json']));
      expect(status.healthy, JSON.stringify(status.findings, null, 2)).toBe(true);
      expect(status.access).toMatchObject({ checked: true, denied: [] });

      step(`send-test-record${cfg.verify ? ' --verify' : ''}`);
      const sent = resultOf('send-test-record', await kdsXacct(cfg, cwd, ['send-test-record', '--name', name, '--json', ...(cfg.verify ? ['--verify', '--timeout', '5m'] : [])]));
      expect(sent).toBeTruthy();

      step('setup again (no changes expected)');
      const again = resultOf('second setup', await kdsXacct(cfg, cwd, ['setup', ...accounts, '--name', name, '--yes', '--json']));
      expect(again.outcome).toBe('succeeded');
      expect(again.applied).toEqual([]);
    } catch (error) {
      failure = error;
    } finally {
      // Always: whatever failed above, remove what this run made, then prove it is gone.
      step('teardown --yes');
      let teardown: Run | undefined;
      let left: string[] = [];
      let cleanupError: unknown;
      try {
        teardown = await kdsXacct(cfg, cwd, ['teardown', ...accounts, '--name', name, '--yes', '--json', '--key-pending-days', '7']);
        step('listing both accounts for leftovers');
        left = await leftovers(cfg, name, {
          streamName: output(setup, 'stream', 'streamName'),
          keyId: output(setup, 'kms-key', 'keyId'),
          consumerArn: output(setup, 'efo-consumer', 'consumerArn'),
          functionName: output(setup, 'function', 'functionName'),
          roleName: output(setup, 'role', 'roleName'),
        });
      } catch (error) {
        cleanupError = error;
      }
      rmSync(cwd, { recursive: true, force: true });
      if (failure) {
        // The first failure is the one to see; what cleanup found is printed next to it.
        if (teardown && teardown.code !== 0) console.error(`teardown exited ${teardown.code}:\n${teardown.stderr}`);
        if (cleanupError) console.error(`Could not check for leftovers: ${(cleanupError as Error).message}`);
        if (left.length > 0) console.error(`Left behind after teardown:\n  ${left.join('\n  ')}`);
        throw failure;
      }
      if (cleanupError) throw cleanupError;
      resultOf('teardown', teardown!);
      expect(left, 'nothing of the deployment may remain').toEqual([]);
    }
  });
});
