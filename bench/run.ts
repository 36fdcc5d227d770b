/**
 * `npm run bench`: setup and teardown in the fake cloud's latency model (virtual time), against the
 * critical-path lower bound of that model; the time from setup's start to a first verified record, likewise;
 * the same setup plan run strictly in sequence; AWS API call counts against the minimum; the cold start
 * and peak RSS of the built binary's --help and --version; the packed tarball's size and file count and
 * the size on disk of what `npm install kds-xacct` installs (bench/footprint.ts); and, where the registry
 * answers, cold `npx` to --version against aws-cdk's (bench/npx.ts).
 *
 * Everything runs in process through `runCli`, with a VirtualClock and a MemoryStateStore: file I/O
 * or real sleeps would blur virtual time. The last line of output is one JSON object for scripts.
 */
import './env.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSteps } from '../src/engine/engine.js';
import { backoffDelays } from '../src/engine/wait.js';
import { planSteps } from '../src/engine/plan.js';
import { newState } from '../src/deployment/store.js';
import type { Step } from '../src/engine/types.js';
import { ExitCode } from '../src/errors.js';
import { completeConfig } from '../src/pipeline/config.js';
import { defaultNames } from '../src/pipeline/names.js';
import { STEP, pipelineContext, type PipelineContext } from '../src/pipeline/steps/context.js';
import { setupSteps } from '../src/pipeline/steps/index.js';
import type { LatencyModel, RecordedCall } from '../src/sandbox/index.js';
import { twoAccounts } from '../test/support/two-accounts.js';
import { awsGraphs } from './aws-order.js';
import { productionFootprint } from './footprint.js';
import { coldNpx } from './npx.js';

const RUNS = 5;
const COLD_START_RUNS = 15;
const NAME = 'bench';
const TARGETS = { setupVsCriticalPath: 1.05, setupVsAwsCriticalPath: 1.05, teardownVsCriticalPath: 1.1, sequentialVsSetup: 1.5, helpColdStartMs: 150, prodInstallMiB: 40, npxVsCdk: 0.5 };
const root = path.resolve(import.meta.dirname, '..');

// ---------------------------------------------------------------------------------------------
// The critical-path lower bound

/**
 * What each setup step costs at the least, in the latency model `L` with `a` = L.apiCall per round
 * trip (the fake applies a call's effect when its round trip ends):
 *  - `calls`: round trips that must follow one another inside the step (e.g. CreateKey then CreateAlias;
 *    GetResourcePolicy then PutResourcePolicy, because Put replaces the whole policy);
 *  - `settle`: AWS's asynchronous work after the last call until the step's waiter can see it ready;
 *  - `gates`: propagation the step's (last) mutating call must wait for, counted from the effect of
 *    another step's last call (Lambda refuses a role, or an ESM's access, and KMS a grant to a role,
 *    until it has propagated; the grant's own propagation gates no setup call, only the first read).
 */
export interface StepCost {
  calls: number;
  settle: number;
  gates: Array<{ after: string; propagation: number }>;
}

export function setupCosts(L: LatencyModel): Record<string, StepCost> {
  return {
    [STEP.kmsKey]: { calls: 2, settle: 0, gates: [] },
    [STEP.stream]: { calls: 1, settle: L.streamCreate, gates: [] },
    [STEP.encryption]: { calls: 1, settle: L.encryption, gates: [] },
    [STEP.consumer]: { calls: 1, settle: L.consumerCreate, gates: [] },
    [STEP.role]: { calls: 1, settle: 0, gates: [] },
    [STEP.rolePolicy]: { calls: 1, settle: 0, gates: [] },
    [STEP.logGroup]: { calls: 2, settle: 0, gates: [] },
    // CreateQueue with its attributes and tags, then GetQueueAttributes for the ARN.
    [STEP.failureQueue]: { calls: 2, settle: 0, gates: [] },
    [STEP.function]: { calls: 1, settle: L.functionCreate, gates: [{ after: STEP.role, propagation: L.iamPropagation }] },
    [STEP.streamPolicy]: { calls: 2, settle: 0, gates: [] },
    [STEP.consumerPolicy]: { calls: 2, settle: 0, gates: [] },
    [STEP.grant]: { calls: 1, settle: 0, gates: [{ after: STEP.role, propagation: L.iamPropagation }] },
    [STEP.esm]: {
      calls: 1,
      settle: L.esmCreate,
      gates: [
        { after: STEP.role, propagation: L.iamPropagation },
        { after: STEP.rolePolicy, propagation: L.iamPropagation },
        { after: STEP.streamPolicy, propagation: L.policyPropagation },
        { after: STEP.consumerPolicy, propagation: L.policyPropagation },
      ],
    },
  };
}

/**
 * The critical path, with ideal (zero-overshoot) polling:
 *
 *   ready(s) = max( pre + max over d in dependsOn(s) of done(d) ,   (pre for a step without dependencies)
 *                   max over c in startsAfter(s) of effect(c) )      (the engine starts it once c's apply has returned)
 *   effect(s) = max( ready(s) + calls(s)·a ,  max over gates g of effect(g) + propagation(g) )
 *   done(s)   = effect(s) + settle(s)
 *   bound     = max over s of done(s)
 *
 * `pre` is what every setup does before its first mutating call: STS GetCallerIdentity in both accounts
 * at once, then one round of planning reads (the steps without dependencies, at once) = 2a.
 */
export function criticalPath(steps: Array<Pick<Step, 'id' | 'dependsOn' | 'startsAfter'>>, costs: Record<string, StepCost>, a: number, pre = 2 * a) {
  const effect = new Map<string, number>();
  const done = new Map<string, number>();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const via = new Map<string, string>();
  const visit = (id: string): number => {
    if (done.has(id)) return done.get(id)!;
    const step = byId.get(id)!;
    const cost = costs[id]!;
    let ready = pre;
    for (const d of step.dependsOn) {
      const t = visit(d);
      if (t > ready) [ready] = [t, via.set(id, d)];
    }
    for (const c of step.startsAfter ?? []) {
      visit(c);
      const t = effect.get(c)!;
      if (t > ready) [ready] = [t, via.set(id, `${c} (its call)`)];
    }
    let e = ready + cost.calls * a;
    for (const g of cost.gates) {
      visit(g.after);
      const gated = effect.get(g.after)! + g.propagation;
      if (gated > e) [e] = [gated, via.set(id, `${g.after} (+${g.propagation / 1000}s propagation)`)];
    }
    effect.set(id, e);
    done.set(id, e + cost.settle);
    return e + cost.settle;
  };
  for (const s of steps) visit(s.id);
  const [last, bound] = [...done.entries()].reduce((m, x) => (x[1] > m[1] ? x : m));
  const path: string[] = [last];
  for (let at = via.get(last); at; at = via.get(at.split(' ')[0]!)) path.unshift(at);
  return { bound, path };
}

/**
 * The critical path in the order AWS imposes (bench/aws-order.ts), not the product's graph: the best of the
 * orders AWS allows. A wait the product adds and AWS does not need shows as setup taking longer than this.
 */
export function awsCriticalPath(stepIds: string[], costs: Record<string, StepCost>, a: number) {
  return awsGraphs(stepIds)
    .map(({ steps, calledAfter }) => {
      const gated = Object.fromEntries(Object.entries(costs).map(([id, cost]) => [id, { ...cost, gates: [...cost.gates, ...calledAfter.filter((c) => c.step === id).map((c) => ({ after: c.after, propagation: 0 }))] }]));
      return criticalPath(steps, gated, a);
    })
    .reduce((best, cp) => (cp.bound < best.bound ? cp : best));
}

/**
 * What must follow setup before its first record can be seen in the function's logs, as two more nodes
 * of the same graph, so that `criticalPath` finds the bound: the record is put once setup has finished
 * (one round trip) and the mapping pushes it `esmDelivery` later, but not before it polls (`esmPollingStart`
 * after Enabled); its read succeeds only once the grant is in effect, `grantPropagation` after CreateGrant
 * took effect (the grant gates no setup call, only this read). A poll of the logs that ends at that moment
 * sees the record: the fake answers a read when its round trip ends, so the poll adds nothing to the bound.
 */
const RECORD_SENT = 'record-sent';
const RECORD_READ = 'record-read';

function verifiedRecordGraph(steps: Array<Pick<Step, 'id' | 'dependsOn' | 'startsAfter'>>, costs: Record<string, StepCost>, L: LatencyModel) {
  return {
    graph: [...steps, { id: RECORD_SENT, dependsOn: steps.map((s) => s.id) }, { id: RECORD_READ, dependsOn: [RECORD_SENT] }],
    costs: {
      ...costs,
      [RECORD_SENT]: { calls: 1, settle: L.esmDelivery, gates: [] },
      [RECORD_READ]: {
        calls: 0,
        settle: 0,
        gates: [
          { after: STEP.grant, propagation: L.grantPropagation },
          { after: STEP.esm, propagation: L.esmCreate + L.esmPollingStart + L.esmDelivery },
        ],
      },
    },
  };
}

/**
 * The same formula with one step at a time, in the order the engine picks them at concurrency 1 (the
 * first ready step in list order): ready(s) = done(previous step). The sequential run's lower bound.
 */
function sequentialBound(steps: Array<Pick<Step, 'id' | 'dependsOn' | 'startsAfter'>>, costs: Record<string, StepCost>, a: number, pre = 2 * a): number {
  const effect = new Map<string, number>();
  const finished = new Set<string>();
  let now = pre;
  while (finished.size < steps.length) {
    const step = steps.find((s) => !finished.has(s.id) && [...s.dependsOn, ...(s.startsAfter ?? [])].every((d) => finished.has(d)))!;
    const cost = costs[step.id]!;
    const e = Math.max(now + cost.calls * a, ...cost.gates.map((g) => effect.get(g.after)! + g.propagation));
    effect.set(step.id, e);
    now = e + cost.settle;
    finished.add(step.id);
  }
  return now;
}

/**
 * How late a waiter sees a change that takes `settle` ms, with the engine's backoff without jitter: it
 * polls at once, then after each delay, and every poll is a round trip of `a`. Ideal polling is 0.
 */
function pollOvershoot(settle: number, a: number): number {
  const delays = backoffDelays({ jitter: 0 });
  let seen = a;
  while (seen < settle) seen += delays.next().value + a;
  return seen - settle;
}

/**
 * What each step's `undo` costs at the least, with `a` per round trip: ESM DeleteEventSourceMapping +
 * deletion; RevokeGrant; Get + Put/DeleteResourcePolicy; DeleteFunction; DeleteLogGroup (after the
 * function); GetQueueAttributes + DeleteQueue + deletion; DeleteRolePolicy; DeleteRole;
 * DeregisterStreamConsumer + deletion; ListStreamConsumers (other consumers?) + DeleteStream + deletion;
 * DeleteAlias + ScheduleKeyDeletion.
 */
export function teardownCosts(L: LatencyModel): Record<string, number> {
  const a = L.apiCall;
  const undo: Record<string, number> = {
    [STEP.esm]: a + L.esmDelete,
    [STEP.grant]: a,
    [STEP.consumerPolicy]: 2 * a,
    [STEP.streamPolicy]: 2 * a,
    [STEP.function]: a,
    'log-group': a,
    // GetQueueAttributes (a queue holding reports is kept), DeleteQueue, then the deletion (GetQueueUrl: gone).
    [STEP.failureQueue]: 2 * a + L.queueDelete,
    [STEP.rolePolicy]: a,
    [STEP.role]: a,
    [STEP.consumer]: a + L.consumerDelete,
    [STEP.encryption]: 0,
    [STEP.stream]: 2 * a + L.streamDelete,
    [STEP.kmsKey]: 2 * a,
  };
  return undo;
}

/**
 * Teardown's bound over the same graph reversed: a resource goes only once everything that depends on
 * it has gone (the ESM first, the stream and key last). pre = STS in both accounts at once = a. Setup's
 * startsAfter is not reversed, as teardown does not reverse it (src/pipeline/teardown.ts).
 */
function teardownCriticalPath(steps: Array<Pick<Step, 'id' | 'dependsOn'>>, L: LatencyModel) {
  const a = L.apiCall;
  const undo = teardownCosts(L);
  const graph = [...steps, { id: 'log-group', dependsOn: [STEP.function] }];
  const dependents = (id: string) => graph.filter((s) => s.dependsOn.includes(id)).map((s) => s.id);
  const gone = new Map<string, number>();
  const visit = (id: string): number => {
    if (!gone.has(id)) gone.set(id, Math.max(a, ...dependents(id).map(visit)) + (undo[id] ?? 0));
    return gone.get(id)!;
  };
  return Math.max(...graph.map((s) => visit(s.id)));
}

// ---------------------------------------------------------------------------------------------
// Runs in the fake cloud

interface CallCount {
  mutating: number;
  readOnly: number;
  /** Calls that failed (throttling, propagation) and were retried. */
  failed: number;
  byCommand: Record<string, number>;
}

function countCalls(calls: RecordedCall[]): CallCount {
  const byCommand: Record<string, number> = {};
  for (const c of calls) byCommand[c.command] = (byCommand[c.command] ?? 0) + 1;
  return { mutating: calls.filter((c) => c.mutating).length, readOnly: calls.filter((c) => !c.mutating).length, failed: calls.filter((c) => c.error).length, byCommand };
}

/** The fewest calls a fresh setup can make; the reads are the ones a safe, re-runnable setup cannot skip. */
const SETUP_MINIMUM = {
  mutating: ['CreateKey', 'CreateAlias', 'CreateStream', 'StartStreamEncryption', 'RegisterStreamConsumer', 'CreateRole', 'PutRolePolicy', 'CreateLogGroup', 'PutRetentionPolicy', 'CreateFunction', 'PutResourcePolicy (stream)', 'PutResourcePolicy (consumer)', 'CreateGrant', 'CreateQueue', 'CreateEventSourceMapping'],
  readOnly: [
    'GetCallerIdentity (producer)',
    'GetCallerIdentity (consumer)',
    'DescribeKey (alias: exists?)',
    'DescribeStreamSummary (exists?)',
    'GetRole (exists?)',
    'DescribeLogGroups (exists?)',
    'GetQueueUrl (exists?)',
    'GetResourcePolicy (stream: merge, never drop others)',
    'GetResourcePolicy (consumer: merge)',
    'DescribeStreamSummary (one poll: ACTIVE)',
    'DescribeStreamSummary (one poll: encrypted)',
    'DescribeStreamConsumer (one poll: ACTIVE)',
    'GetFunctionConfiguration (one poll: Active)',
    'GetEventSourceMapping (one poll: Enabled)',
  ],
};
const TEARDOWN_MINIMUM = {
  mutating: ['DeleteEventSourceMapping', 'RevokeGrant', 'DeleteResourcePolicy (stream)', 'DeleteResourcePolicy (consumer)', 'DeleteFunction', 'DeleteLogGroup', 'DeleteQueue', 'DeleteRolePolicy', 'DeleteRole', 'DeregisterStreamConsumer', 'DeleteStream', 'DeleteAlias', 'ScheduleKeyDeletion'],
  readOnly: [
    'GetCallerIdentity (producer)',
    'GetCallerIdentity (consumer)',
    'GetResourcePolicy (stream: remove only ours)',
    'GetResourcePolicy (consumer)',
    'ListStreamConsumers (other consumers on the stream?)',
    'GetQueueAttributes (reports still in the queue?)',
    'GetEventSourceMapping (one poll: gone)',
    'GetQueueUrl (one poll: gone)',
    'DescribeStreamConsumer (one poll: gone)',
    'DescribeStreamSummary (one poll: gone)',
  ],
};

/** A setup through the real program, in a fresh pair of fake accounts; returns the world for more. */
async function timedSetup() {
  const world = twoAccounts();
  const started = world.clock.now();
  const code = await world.setup('--name', NAME);
  if (code !== ExitCode.Success) throw new Error(`setup failed (exit ${code}):\n${world.harness.reporter.text}`);
  return { world, ms: world.clock.now() - started, calls: [...world.cloud.calls] };
}

/**
 * `setup --verify`: setup, then one test record sent and awaited in the function's logs, as a user would
 * with `send-test-record --verify` right after setup (both send and wait through src/records/round-trip.ts).
 */
interface VerifiedRecord {
  records: Array<{ sentAt: string }>;
  verify: { latencies: Array<{ latencyMs: number }> };
}

async function timedVerifiedSetup() {
  const world = twoAccounts();
  try {
    const started = world.clock.now();
    const code = await world.setup('--name', NAME, '--verify');
    if (code !== ExitCode.Success) throw new Error(`setup --verify failed (exit ${code}):\n${world.harness.reporter.text}`);
    const { records, verify } = (world.harness.reporter.results.at(-1) as { verify: VerifiedRecord }).verify;
    // When the function logged it, apart from when the logs poll saw it.
    const loggedMs = Date.parse(records[0]!.sentAt) + verify.latencies[0]!.latencyMs - started;
    return { ms: world.clock.now() - started, loggedMs };
  } finally {
    world.cloud.restore();
  }
}

/** The pipeline setup.ts builds, from the same sessions, for runs that call the engine directly. */
async function pipelineFor(world: ReturnType<typeof twoAccounts>): Promise<PipelineContext> {
  const [producer, consumer] = await Promise.all([world.sessions.connect('prod', 'producer', {}), world.sessions.connect('analytics', 'consumer', {})]);
  const config = completeConfig({ name: NAME }, defaultNames(NAME, consumer.accountId));
  return pipelineContext({ config, producer, consumer, previous: newState(NAME, 'setup', new Date(world.clock.now())) });
}

/**
 * setup's plan and run, through the engine directly with a chosen concurrency and optionally a changed
 * graph: the same connect, plan and steps setup.ts uses, without the command's wizard and output.
 */
async function timedEngineRun(concurrency: number) {
  const world = twoAccounts();
  try {
    const started = world.clock.now();
    const pipeline = await pipelineFor(world);
    const steps = setupSteps(pipeline);
    const state = structuredClone(pipeline.previous);
    const plan = await planSteps(steps, state, world.clock);
    const result = await runSteps({
      steps,
      state,
      save: async () => undefined,
      clock: world.clock,
      runId: 'bench',
      emit: () => undefined,
      rollback: false,
      concurrency,
      checked: new Map(plan.flatMap((p) => (p.check ? [[p.step.id, p.check] as const] : []))),
    });
    if (result.outcome !== 'succeeded') throw new Error(`engine run failed: ${result.failure?.message}`);
    return { ms: world.clock.now() - started, calls: countCalls(world.cloud.calls) };
  } finally {
    world.cloud.restore();
  }
}

// ---------------------------------------------------------------------------------------------
// Cold start of the built binary

function coldStart(args: string[], nodeArgs: string[] = []) {
  const bin = path.join(root, 'bin', 'kds-xacct.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'kds-xacct-bench-'));
  const env = { PATH: process.env.PATH, HOME: dir, AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none') };
  try {
    const times: number[] = [];
    for (let i = 0; i < COLD_START_RUNS; i++) {
      const t = process.hrtime.bigint();
      const r = spawnSync(process.execPath, nodeArgs.length > 0 ? nodeArgs : [bin, ...args], { cwd: dir, env, encoding: 'utf8' });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (r.status !== 0) throw new Error(`kds-xacct ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    }
    // Peak RSS from inside the child: a preload records process.resourceUsage().maxRSS (KiB) as it exits.
    const preload = path.join(dir, 'rss.mjs');
    const out = path.join(dir, 'rss.txt');
    writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
    const rss: number[] = [];
    for (let i = 0; i < 5; i++) {
      spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, ...(nodeArgs.length > 0 ? nodeArgs : [bin, ...args])], { cwd: dir, env, encoding: 'utf8' });
      rss.push(Number(readFileSync(out, 'utf8')) / 1024);
    }
    return { medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), peakRssMb: median(rss) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (x: number) => Math.round(x * 1000) / 1000;
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const out = (line = '') => process.stdout.write(line + '\n');

  // setup, several times (waiters jitter their polls at random). FakeCloud.install() answers for the client
  // classes globally, so each fake world is finished and restored before the next one is made.
  const first = await timedSetup();
  const { world } = first;
  const latency = world.cloud.latency;
  const a = latency.apiCall;
  const pipeline = await pipelineFor(world);
  const graph = setupSteps(pipeline).map(({ id, dependsOn, startsAfter }) => ({ id, dependsOn, startsAfter }));
  const costs = setupCosts(latency);
  const cp = criticalPath(graph, costs, a);
  const awsCp = awsCriticalPath(graph.map((s) => s.id), costs, a);
  const setupCalls = countCalls(first.calls);

  // teardown of the first deployment, through the real program.
  let teardown: { ms: number; calls: CallCount; bound: number } | { pending: string };
  try {
    const before = world.cloud.calls.length;
    const started = world.clock.now();
    const code = await world.harness.run('teardown', '--name', NAME, '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--yes', '--key-pending-days', '7');
    const ms = world.clock.now() - started;
    if (code === ExitCode.Success) teardown = { ms, calls: countCalls(world.cloud.calls.slice(before)), bound: teardownCriticalPath(graph, latency) };
    else teardown = { pending: `teardown exited ${code}: ${world.harness.reporter.lines.filter((l) => l.level === 'error').map((l) => l.text).join(' ') || 'no message'}` };
  } finally {
    world.cloud.restore();
  }

  const setups = [first.ms];
  for (let i = 1; i < RUNS; i++) {
    const run = await timedSetup();
    run.world.cloud.restore();
    setups.push(run.ms);
  }

  // The same plan strictly in sequence.
  const sequential: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    sequential.push((await timedEngineRun(1)).ms);
  }

  const verifiedRuns: Array<{ ms: number; loggedMs: number }> = [];
  for (let i = 0; i < RUNS; i++) verifiedRuns.push(await timedVerifiedSetup());
  const verifiedSetups = verifiedRuns.map((r) => r.ms);
  const verifiedGraph = verifiedRecordGraph(graph, costs, latency);
  const verifiedCp = criticalPath(verifiedGraph.graph, verifiedGraph.costs, a);

  const baseline = coldStart([], ['-e', '0']);
  const help = coldStart(['--help']);
  const version = coldStart(['--version']);
  const footprint = productionFootprint(root);
  const footprintMet = footprint.notInstalled.length === 0 && footprint.diskBytes <= TARGETS.prodInstallMiB * 2 ** 20;
  const npx = coldNpx(root);
  const npxVsCdk = 'skipped' in npx ? undefined : median(npx.oursMs) / median(npx.cdkMs);

  const setupMs = median(setups);
  const sequentialMs = median(sequential);
  const setupVsCriticalPath = setupMs / cp.bound;
  const setupVsAwsCriticalPath = setupMs / awsCp.bound;
  const sequentialVsSetup = sequentialMs / setupMs;
  const sequentialFloor = sequentialBound(graph, costs, a);
  // The waits on the critical path, and the propagation the mapping's create retries through. The encryption
  // is not among them: it runs beside the consumer's wait, the longer of the two in this model.
  const criticalWaits: Array<[string, number]> = [
    ['stream ACTIVE', latency.streamCreate],
    ['consumer ACTIVE', latency.consumerCreate],
    ['consumer policy propagation (ESM create retries)', latency.policyPropagation],
    ['mapping Enabled', latency.esmCreate],
  ];
  const overshoot = () => criticalWaits.reduce((n, [, ms]) => n + pollOvershoot(ms, a), 0);

  out('kds-xacct benchmark (fake cloud, virtual time; latency model: src/sandbox/latency.ts)');
  out(`  latency: ${Object.entries(latency).map(([k, v]) => `${k} ${v / 1000}s`).join(', ')}`);
  out();
  out(`setup (${RUNS} runs, median; waiters jitter their polls)`);
  out(`  simulated duration       ${sec(setupMs)}  (min ${sec(Math.min(...setups))}, max ${sec(Math.max(...setups))})`);
  out(`  critical path            ${sec(cp.bound)}  via ${cp.path.join(' -> ')}`);
  out(`  setup / critical path    ${ratio(setupVsCriticalPath)}x  (target <= ${TARGETS.setupVsCriticalPath}x: ${mark(setupVsCriticalPath <= TARGETS.setupVsCriticalPath)})`);
  out(`  AWS's critical path      ${sec(awsCp.bound)}  via ${awsCp.path.join(' -> ')}  (the order AWS imposes: bench/aws-order.ts)`);
  out(`  setup / AWS's path       ${ratio(setupVsAwsCriticalPath)}x  (target <= ${TARGETS.setupVsAwsCriticalPath}x: ${mark(setupVsAwsCriticalPath <= TARGETS.setupVsAwsCriticalPath)})`);
  out(`  poll overshoot, no jitter: ${criticalWaits.map(([what, ms]) => `${what} +${(pollOvershoot(ms, a) / 1000).toFixed(2)}s`).join(', ')}`);
  out(`    = ${sec(overshoot())} over the critical path (${ratio((cp.bound + overshoot()) / cp.bound)}x)`);
  out(`  strictly sequential      ${sec(sequentialMs)}  (engine with concurrency 1; min ${sec(Math.min(...sequential))}, max ${sec(Math.max(...sequential))})`);
  out(`  sequential / setup       ${ratio(sequentialVsSetup)}x  (target >= ${TARGETS.sequentialVsSetup}x: ${mark(sequentialVsSetup >= TARGETS.sequentialVsSetup)})`);
  out(`  best possible ratio      ${ratio(sequentialFloor / cp.bound)}x  (sequential lower bound ${sec(sequentialFloor)} / critical path, both with ideal polling)`);
  out(`  what-if: setup not waiting for the mapping to be Enabled: critical path ${sec(cp.bound - latency.esmCreate)}, sequential bound ${sec(sequentialFloor - latency.esmCreate)}, best ratio ${ratio((sequentialFloor - latency.esmCreate) / (cp.bound - latency.esmCreate))}x`);
  out(`  API calls                ${setupCalls.mutating} mutating (minimum ${SETUP_MINIMUM.mutating.length}), ${setupCalls.readOnly} read-only (minimum ${SETUP_MINIMUM.readOnly.length}), ${setupCalls.failed} failed and retried`);
  out(`    by command: ${Object.entries(setupCalls.byCommand).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  out();
  const setupToVerifiedRecordMs = median(verifiedSetups);
  out(`first verified record (${RUNS} runs, median): setup --verify, i.e. setup, then one test record until it is in the function's logs`);
  out(`  simulated duration       ${sec(setupToVerifiedRecordMs)}  (min ${sec(Math.min(...verifiedSetups))}, max ${sec(Math.max(...verifiedSetups))}; setup alone ${sec(setupMs)})`);
  out(`  critical path            ${sec(verifiedCp.bound)}  via ${verifiedCp.path.join(' -> ')}`);
  out(`  verified / critical path ${ratio(setupToVerifiedRecordMs / verifiedCp.bound)}x`);
  out(`  logged by the function   ${sec(median(verifiedRuns.map((r) => r.loggedMs)))}  (the mapping retries a read it could not decrypt every ${latency.esmReadRetry / 1000}s), seen by the logs poll ${sec(median(verifiedRuns.map((r) => r.ms - r.loggedMs)))} later`);
  out();
  if ('pending' in teardown) {
    out(`teardown: pending (${teardown.pending})`);
  } else {
    out('teardown (of the first setup, with its state file)');
    out(`  simulated duration       ${sec(teardown.ms)}`);
    out(`  critical path            ${sec(teardown.bound)}  (reverse graph: mapping first, stream and key last)`);
    out(`  teardown / critical path ${ratio(teardown.ms / teardown.bound)}x  (target <= ${TARGETS.teardownVsCriticalPath}x: ${mark(teardown.ms / teardown.bound <= TARGETS.teardownVsCriticalPath)})`);
    out(`  API calls                ${teardown.calls.mutating} mutating (minimum ${TEARDOWN_MINIMUM.mutating.length}), ${teardown.calls.readOnly} read-only (minimum ${TEARDOWN_MINIMUM.readOnly.length}), ${teardown.calls.failed} failed`);
    out(`    by command: ${Object.entries(teardown.calls.byCommand).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  }
  out();
  out(`cold start of the built binary (${COLD_START_RUNS} runs, median; peak RSS median of 5)`);
  out(`  --help     ${help.medianMs.toFixed(1)} ms (min ${help.minMs.toFixed(1)}, max ${help.maxMs.toFixed(1)}), peak RSS ${help.peakRssMb.toFixed(1)} MB  (target < ${TARGETS.helpColdStartMs} ms: ${mark(help.medianMs < TARGETS.helpColdStartMs)})`);
  out(`  node -e 0  ${baseline.medianMs.toFixed(1)} ms, peak RSS ${baseline.peakRssMb.toFixed(1)} MB  (Node's own start, for comparison)`);
  out(`  --version  ${version.medianMs.toFixed(1)} ms (min ${version.minMs.toFixed(1)}, max ${version.maxMs.toFixed(1)}), peak RSS ${version.peakRssMb.toFixed(1)} MB`);
  out();
  out('production install (what `npm install kds-xacct` downloads and puts on disk: the packed package and the lockfile\'s production tree, read from node_modules)');
  out(`  tarball    ${mib(footprint.tarballBytes)} (${footprint.tarballBytes.toLocaleString('en')} bytes), ${footprint.tarballFiles} files`);
  out(`  on disk    ${mib(footprint.diskBytes)} (${footprint.contentBytes.toLocaleString('en')} bytes of file content, ${mib(footprint.contentBytes)}), ${footprint.files.toLocaleString('en')} files, ${footprint.packages} packages  (target <= ${TARGETS.prodInstallMiB} MiB: ${mark(footprintMet)})`);
  out(`  largest    ${footprint.byName.slice(0, 6).map(([name, bytes]) => `${name} ${mib(bytes)}`).join(', ')}`);
  if (footprint.notInstalled.length > 0) out(`  INCOMPLETE: not installed at their lockfile version (run npm ci): ${footprint.notInstalled.join(', ')}`);
  out();
  out('cold npx to --version, empty npm cache (ours from the packed tarball, so without its download; paired runs)');
  if ('skipped' in npx) out(`  skipped: ${npx.skipped}`);
  else {
    const each = (ms: number[]) => `${sec(median(ms))} median (${ms.map(sec).join(', ')})`;
    out(`  kds-xacct              ${each(npx.oursMs)}`);
    out(`  aws-cdk ${npx.cdkVersion.split(' ')[0]!.padEnd(14)} ${each(npx.cdkMs)}`);
    out(`  kds-xacct / aws-cdk    ${ratio(npxVsCdk!)}x  (target <= ${TARGETS.npxVsCdk}: ${mark(npxVsCdk! <= TARGETS.npxVsCdk)})`);
  }
  out();

  const summary = {
    setupVsCriticalPath: ratio(setupVsCriticalPath),
    setupVsAwsCriticalPath: ratio(setupVsAwsCriticalPath),
    sequentialVsSetup: ratio(sequentialVsSetup),
    apiCalls: {
      setup: { mutating: setupCalls.mutating, readOnly: setupCalls.readOnly, failed: setupCalls.failed, minimumMutating: SETUP_MINIMUM.mutating.length, minimumReadOnly: SETUP_MINIMUM.readOnly.length },
      ...('pending' in teardown
        ? { teardown: 'pending' }
        : { teardown: { mutating: teardown.calls.mutating, readOnly: teardown.calls.readOnly, failed: teardown.calls.failed, minimumMutating: TEARDOWN_MINIMUM.mutating.length, minimumReadOnly: TEARDOWN_MINIMUM.readOnly.length } }),
    },
    helpColdStartMs: Math.round(help.medianMs * 10) / 10,
    versionColdStartMs: Math.round(version.medianMs * 10) / 10,
    peakRssMb: { help: Math.round(help.peakRssMb * 10) / 10, version: Math.round(version.peakRssMb * 10) / 10 },
    setupMs,
    criticalPathMs: cp.bound,
    awsCriticalPathMs: awsCp.bound,
    sequentialMs,
    sequentialLowerBoundMs: sequentialFloor,
    setupToVerifiedRecordMs,
    verifiedRecordCriticalPathMs: verifiedCp.bound,
    nodeBaselineMs: Math.round(baseline.medianMs * 10) / 10,
    prodInstallBytes: footprint.diskBytes,
    prodInstallContentBytes: footprint.contentBytes,
    prodInstallFiles: footprint.files,
    prodInstallPackages: footprint.packages,
    tarballBytes: footprint.tarballBytes,
    tarballFiles: footprint.tarballFiles,
    coldNpxVersion: 'skipped' in npx ? npx : { kdsXacctMs: Math.round(median(npx.oursMs)), awsCdkMs: Math.round(median(npx.cdkMs)), awsCdk: npx.cdkVersion, ratio: ratio(npxVsCdk!) },
    ...(footprint.notInstalled.length > 0 && { prodInstallNotInstalled: footprint.notInstalled }),
    teardown: 'pending' in teardown ? 'pending' : { ms: teardown.ms, criticalPathMs: teardown.bound, vsCriticalPath: ratio(teardown.ms / teardown.bound) },
    targetsMet: {
      setupVsCriticalPath: setupVsCriticalPath <= TARGETS.setupVsCriticalPath,
      setupVsAwsCriticalPath: setupVsAwsCriticalPath <= TARGETS.setupVsAwsCriticalPath,
      ...(!('pending' in teardown) && { teardownVsCriticalPath: teardown.ms / teardown.bound <= TARGETS.teardownVsCriticalPath }),
      sequentialVsSetup: sequentialVsSetup >= TARGETS.sequentialVsSetup,
      helpColdStartMs: help.medianMs < TARGETS.helpColdStartMs,
      prodInstall: footprintMet,
      ...(npxVsCdk !== undefined && { npxVsCdk: npxVsCdk <= TARGETS.npxVsCdk }),
    },
  };
  out(JSON.stringify(summary));
}

// Only when run as the bench: a test imports the cost model (setupCosts, teardownCosts) without running it.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
