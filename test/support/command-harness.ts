import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { createSessionFactory } from '../../src/aws/sessions.js';
import type { AccountRole, AccountSession, AwsClients, SessionFactory } from '../../src/aws/session.js';
import type { Environment } from '../../src/context.js';
import { type Clock, VirtualClock } from '../../src/engine/clock.js';
import { Interrupt } from '../../src/engine/engine.js';
import { MemoryStateStore, newState, type DeploymentState, type StateStore } from '../../src/deployment/store.js';
import type { ExitCode } from '../../src/errors.js';
import { runCli } from '../../src/program.js';
import { RecordingReporter } from '../../src/render/recording.js';
// Loaded up front: the program imports each command lazily, and loading one takes real time that the
// virtual clock does not wait for, so a test's first sleeps could pass before the command starts.
import '../../src/commands/setup.js';
import '../../src/commands/teardown.js';
import '../../src/commands/send-test-record.js';
import '../../src/commands/tail-logs.js';
import '../../src/commands/status.js';

/** Collects what a command writes. */
export class Output {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

export interface HarnessOptions {
  sessions: SessionFactory;
  clock?: Clock;
  store?: StateStore;
  stdoutIsTTY?: boolean;
  /** The terminal's width, with stdoutIsTTY. */
  stdoutColumns?: number;
  /** Use the real renderer chosen from the flags instead of a RecordingReporter (to see --json output). */
  realReporter?: boolean;
}

/** Runs the real commander program in process, with a virtual clock, in-memory state and recorded output. */
export function createHarness(options: HarnessOptions) {
  const clock: Clock = options.clock ?? new VirtualClock();
  const stdout = new Output();
  const stderr = new Output();
  const reporter = new RecordingReporter();
  const interrupt = new Interrupt();
  const store = options.store ?? new MemoryStateStore();
  const environment: Environment = {
    stdin: (async function* () {})(),
    stdout,
    stderr,
    stdoutIsTTY: options.stdoutIsTTY ?? false,
    ...(options.stdoutColumns !== undefined && { stdoutColumns: options.stdoutColumns }),
    stdinIsTTY: false,
    env: {},
    cwd: '/nonexistent-kds-xacct-test',
    clock,
    interrupt,
    sessions: async () => options.sessions,
    prompter: async () => {
      throw new Error('No prompts expected in this test.');
    },
    stateStore: () => store,
    ...(options.realReporter ? {} : { reporter }),
  };
  return {
    clock,
    stdout,
    stderr,
    reporter,
    interrupt,
    store,
    environment,
    run: (...argv: string[]): Promise<ExitCode> => runCli(argv, environment),
  };
}

export interface ProfileSpec {
  region: string;
  credentials: AwsCredentialIdentity;
}

/**
 * The real session factory, reading profiles from an injected config instead of ~/.aws, with
 * injected credentials. Clients are real SDK clients, so an installed fake cloud answers them.
 */
export function sessionFactoryFor(profiles: Record<string, ProfileSpec>): SessionFactory {
  return createSessionFactory({
    env: {},
    loadConfigFiles: async () => ({
      configFile: Object.fromEntries(Object.entries(profiles).map(([name, p]) => [name, { region: p.region }])),
      credentialsFile: {},
    }),
    credentialsFor: (profile) => async () => {
      const spec = profiles[profile];
      if (!spec) throw new Error(`no credentials for ${profile}`);
      return spec.credentials;
    },
  });
}

/** A factory that makes no AWS call: each profile is an account id; clients are absent. */
export function stubSessionFactory(accounts: Record<string, { accountId: string; region?: string }>): SessionFactory & { connects: Array<{ profile: string; role: AccountRole; region?: string }> } {
  const connects: Array<{ profile: string; role: AccountRole; region?: string }> = [];
  return {
    connects,
    async listProfiles() {
      return Object.keys(accounts);
    },
    async profileRegion(profile) {
      return accounts[profile]?.region;
    },
    async connect(profile, role, options): Promise<AccountSession> {
      connects.push({ profile, role, ...(options.region && { region: options.region }) });
      const account = accounts[profile];
      if (!account) throw new (await import('../../src/errors.js')).UserError(`Profile "${profile}" was not found.`);
      const region = options.region ?? account.region ?? 'us-east-1';
      return {
        role,
        profile,
        region,
        accountId: account.accountId,
        callerArn: `arn:aws:iam::${account.accountId}:user/tester`,
        clients: {} as AwsClients,
      };
    },
  };
}

export interface SeedOptions {
  name?: string;
  region?: string;
  producer?: { profile: string; accountId: string };
  consumer?: { profile: string; accountId: string };
  streamName?: string;
  streamArn?: string;
  consumerArn?: string;
  functionName?: string;
  esmUuid?: string;
  /** Leave these steps out, as an interrupted setup would. */
  omit?: string[];
}

/** Writes the state file setup would have written for a finished deployment. */
export async function seedDeploymentState(store: StateStore, options: SeedOptions = {}): Promise<DeploymentState> {
  const name = options.name ?? 'orders';
  const region = options.region ?? 'eu-west-1';
  const producer = options.producer ?? { profile: 'prod', accountId: '111111111111' };
  const consumer = options.consumer ?? { profile: 'analytics', accountId: '222222222222' };
  const streamName = options.streamName ?? `${name}-stream`;
  const streamArn = options.streamArn ?? `arn:aws:kinesis:${region}:${producer.accountId}:stream/${streamName}`;
  const functionName = options.functionName ?? `${name}-consumer`;
  const functionArn = `arn:aws:lambda:${region}:${consumer.accountId}:function:${functionName}`;
  const consumerArn = options.consumerArn ?? `${streamArn}/consumer/${name}-efo:1767225600`;
  const state = newState(name, 'setup', new Date(Date.UTC(2026, 0, 1)));
  state.accounts = {
    producer: { ...producer, region },
    consumer: { ...consumer, region },
  };
  const steps: Record<string, Record<string, string>> = {
    'kms-key': { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', keyArn: `arn:aws:kms:${region}:${producer.accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
    stream: { streamName, streamArn },
    'efo-consumer': { consumerName: `${name}-efo`, consumerArn },
    function: { functionName, functionArn },
    'event-source-mapping': { uuid: options.esmUuid ?? '00000000-0000-4000-a000-000000000000', eventSourceArn: consumerArn, functionName },
  };
  for (const [id, outputs] of Object.entries(steps)) {
    if (options.omit?.includes(id)) continue;
    state.steps[id] = { origin: 'created', phase: 'ready', outputs, runId: 'seed', updatedAt: state.createdAt };
  }
  await store.save(state);
  return state;
}
