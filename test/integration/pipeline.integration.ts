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
import { paginateDescribeLogGroups } from '@aws-sdk/client-cloudwatch-logs';
import { ListRoleTagsCommand, paginateListRoles } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand, ListTagsForResourceCommand, paginateListStreams, type StreamSummary } from '@aws-sdk/client-kinesis';
import { DescribeKeyCommand, ListResourceTagsCommand, paginateListAliases, paginateListKeys } from '@aws-sdk/client-kms';
import { ListTagsCommand, paginateListEventSourceMappings, paginateListFunctions } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import type { AccountSession } from '../../src/aws/session.js';
import { createSessionFactory } from '../../src/aws/sessions.js';
import { systemClock } from '../../src/engine/clock.js';
import { TAG_DEPLOYMENT, arns, defaultNames, lambdaLogGroupName } from '../../src/pipeline/names.js';
import { hasCode, ifExists } from '../../src/aws/retry.js';
import { STEP } from '../../src/pipeline/steps/context.js';
import { integrationConfig, type IntegrationConfig } from './config.js';

const { config, skipped } = integrationConfig();

const bin = path.resolve(import.meta.dirname, '../../bin/kds-xacct.js');
/** Resources made before the run began cannot carry its unique deployment name; this allows for clock skew. */
const CLOCK_SKEW_MS = 10 * 60_000;

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

/**
 * Both accounts' clients, built as the binary builds them: from the profiles, with their region and
 * their endpoints (`endpoint_url` in the profile, AWS_ENDPOINT_URL and the per-service variables), so
 * that against an emulator the leftovers are looked for in the emulator, not in real AWS.
 */
async function connectBoth(cfg: IntegrationConfig): Promise<{ producer: AccountSession; consumer: AccountSession }> {
  const factory = createSessionFactory();
  const producer = await factory.connect(cfg.producerProfile, 'producer', { region: cfg.region });
  const consumer = await factory.connect(cfg.consumerProfile, 'consumer', { region: cfg.region });
  return { producer, consumer };
}

const tagged = (tags: Record<string, string | undefined> | undefined, name: string) => tags?.[TAG_DEPLOYMENT] === name;
const tagList = (tags: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value]));
/** Whether a resource created (or last modified) at `when` may be this run's; an unknown date may. */
const since = (when: Date | string | undefined, startedAt: number) => {
  const at = when === undefined ? Number.NaN : new Date(when).getTime();
  return Number.isNaN(at) || at >= startedAt - CLOCK_SKEW_MS;
};

interface Known {
  streamName?: string | undefined;
  streamArn?: string | undefined;
  keyId?: string | undefined;
  consumerArn?: string | undefined;
  functionName?: string | undefined;
  roleName?: string | undefined;
}

/**
 * Everything of the deployment still in either account, found by its deployment tag and by its
 * names. Every listing is read to its last page. A KMS key can only be scheduled for deletion, so a
 * key in PendingDeletion does not count. `startedAt`: when the run began; what is older than that
 * cannot carry this run's unique name, so its tags are not read (one call per resource).
 */
async function leftovers(cfg: IntegrationConfig, name: string, known: Known, startedAt: number): Promise<string[]> {
  const { producer, consumer } = await connectBoth(cfg);
  const defaults = defaultNames(name, consumer.accountId);
  const streamName = known.streamName ?? defaults.streamName;
  const functionName = known.functionName ?? defaults.functionName;
  const roleName = known.roleName ?? defaults.roleName;
  const left: string[] = [];

  // Producer: streams, the key alias, keys.
  const { kinesis, kms } = producer.clients;
  for await (const page of paginateListStreams({ client: kinesis }, {})) {
    const summaries = new Map((page.StreamSummaries ?? []).map((s) => [s.StreamName, s]));
    for (const stream of page.StreamNames ?? []) {
      const summary: Pick<StreamSummary, 'StreamARN' | 'StreamStatus' | 'StreamCreationTimestamp'> | undefined =
        summaries.get(stream) ?? (await ifExists(systemClock, () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))))?.StreamDescriptionSummary;
      if (!summary || summary.StreamStatus === 'DELETING') continue;
      if (stream === streamName) {
        left.push(`producer: stream ${stream}`);
      } else if (since(summary.StreamCreationTimestamp, startedAt)) {
        const tags = await ifExists(systemClock, () => kinesis.send(new ListTagsForResourceCommand({ ResourceARN: summary.StreamARN ?? arns.stream(producer.region, producer.accountId, stream) })));
        if (tagged(tagList(tags?.Tags), name)) left.push(`producer: stream ${stream} (tagged)`);
      }
    }
  }
  for await (const page of paginateListAliases({ client: kms }, {})) {
    for (const alias of page.Aliases ?? []) if (alias.AliasName === defaults.kmsAlias) left.push(`producer: KMS alias ${alias.AliasName}`);
  }
  const keyIds = new Set(known.keyId ? [known.keyId] : []);
  for await (const page of paginateListKeys({ client: kms }, {})) {
    for (const key of page.Keys ?? []) {
      if (!key.KeyId || keyIds.has(key.KeyId)) continue;
      let tags;
      try {
        tags = await ifExists(systemClock, () => kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId })));
      } catch (error) {
        // A key whose policy does not let this account read it was not made by kds-xacct, whose keys keep the default policy.
        if (hasCode(error, 'AccessDeniedException')) continue;
        throw error;
      }
      if (tagged(Object.fromEntries((tags?.Tags ?? []).map((t) => [t.TagKey ?? '', t.TagValue])), name)) keyIds.add(key.KeyId);
    }
  }
  for (const keyId of keyIds) {
    const meta = (await ifExists(systemClock, () => kms.send(new DescribeKeyCommand({ KeyId: keyId }))))?.KeyMetadata;
    if (meta && meta.KeyState !== 'PendingDeletion') left.push(`producer: KMS key ${keyId} is ${meta.KeyState}, not PendingDeletion`);
  }

  // Consumer: functions, mappings, roles, the log group.
  const { lambda, iam, logs } = consumer.clients;
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    for (const fn of page.Functions ?? []) {
      if (fn.FunctionName === functionName) {
        left.push(`consumer: function ${fn.FunctionName}`);
      } else if (fn.FunctionArn && since(fn.LastModified, startedAt)) {
        const tags = await ifExists(systemClock, () => lambda.send(new ListTagsCommand({ Resource: fn.FunctionArn })));
        if (tagged(tags?.Tags, name)) left.push(`consumer: function ${fn.FunctionName} (tagged)`);
      }
    }
  }
  // Unfiltered: a mapping outlives its function, and a filter by a deleted function's name finds nothing.
  const streamArn = known.streamArn;
  for await (const page of paginateListEventSourceMappings({ client: lambda }, {})) {
    for (const m of page.EventSourceMappings ?? []) {
      if (m.State === 'Deleting') continue;
      const ours =
        m.FunctionArn?.endsWith(`:function:${functionName}`) ||
        (known.consumerArn !== undefined && m.EventSourceArn === known.consumerArn) ||
        (streamArn !== undefined && (m.EventSourceArn === streamArn || m.EventSourceArn?.startsWith(`${streamArn}/consumer/`)));
      if (ours) left.push(`consumer: event source mapping ${m.UUID}`);
    }
  }
  for await (const page of paginateListRoles({ client: iam }, {})) {
    for (const role of page.Roles ?? []) {
      if (!role.RoleName) continue;
      if (role.RoleName === roleName) {
        left.push(`consumer: IAM role ${role.RoleName}`);
      } else if (since(role.CreateDate, startedAt)) {
        const tags = await ifExists(systemClock, () => iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName })));
        if (tagged(tagList(tags?.Tags), name)) left.push(`consumer: IAM role ${role.RoleName} (tagged)`);
      }
    }
  }
  const logGroupName = lambdaLogGroupName(functionName);
  for await (const page of paginateDescribeLogGroups({ client: logs }, { logGroupNamePrefix: logGroupName })) {
    for (const g of page.logGroups ?? []) if (g.logGroupName === logGroupName) left.push(`consumer: log group ${g.logGroupName}`);
  }
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
    const startedAt = Date.now();
    const name = `it-${startedAt.toString(36)}-${randomBytes(2).toString('hex')}`;
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
      // Right after setup the new grant may still be taking effect: pending, never a problem.
      expect(['ok', 'pending']).toContain(status.delivery?.status);

      step(`send-test-record${cfg.verify ? ' --verify' : ''}`);
      const sent = resultOf('send-test-record', await kdsXacct(cfg, cwd, ['send-test-record', '--name', name, '--json', ...(cfg.verify ? ['--verify', '--timeout', '5m'] : [])]));
      expect(sent).toBeTruthy();
      if (cfg.verify) {
        step('status after delivery');
        const delivered = resultOf('status', await kdsXacct(cfg, cwd, ['status', '--name', name, '--json']));
        expect(delivered.delivery, JSON.stringify(delivered.findings, null, 2)).toEqual({ status: 'ok', signals: [] });
      }

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
        left = await leftovers(
          cfg,
          name,
          {
            streamName: output(setup, STEP.stream, 'streamName'),
            streamArn: output(setup, STEP.stream, 'streamArn'),
            keyId: output(setup, STEP.kmsKey, 'keyId'),
            consumerArn: output(setup, STEP.consumer, 'consumerArn'),
            functionName: output(setup, STEP.function, 'functionName'),
            roleName: output(setup, STEP.role, 'roleName'),
          },
          startedAt,
        );
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
