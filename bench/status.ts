import { flowRequest, DEFAULT_WINDOW_MS } from '../src/commands/status-flow.js';
import { ExitCode } from '../src/errors.js';
import { readFlow } from '../src/monitoring/read.js';
import { configFromState } from '../src/pipeline/config.js';
import { assessHealth } from '../src/pipeline/health.js';
import { pipelineContext } from '../src/pipeline/steps/context.js';
import { twoAccounts } from '../test/support/two-accounts.js';

/**
 * status against its critical path, in the fake cloud's latency model: status's time over the longest chain of
 * calls that depend on each other. status connects both profiles (one STS call each, at once), then runs two
 * independent branches: the health checks and the flow's metrics (a GetEventSourceMapping, then one
 * GetMetricData per account, both accounts at once). Each branch is timed alone, as the product runs it; the
 * bound is the connection plus the longer branch, which is what status takes when nothing waits for what it
 * does not need.
 */
export async function timedStatus(name: string) {
  const world = twoAccounts();
  try {
    if ((await world.setup('--name', name)) !== ExitCode.Success) throw new Error(`setup failed:\n${world.harness.reporter.text}`);
    const started = world.clock.now();
    const code = await world.harness.run('status', '--name', name);
    const statusMs = world.clock.now() - started;
    if (code !== ExitCode.Success) throw new Error(`status exited ${code}:\n${world.harness.reporter.text}`);

    const connecting = world.clock.now();
    const [producer, consumer] = await Promise.all([world.sessions.connect('prod', 'producer', {}), world.sessions.connect('analytics', 'consumer', {})]);
    const connectMs = world.clock.now() - connecting;
    const state = (await world.store.load(name))!;
    const config = configFromState(state, consumer.accountId);
    const pipeline = pipelineContext({ config, producer, consumer, previous: state });

    const checking = world.clock.now();
    await assessHealth(pipeline, { clock: world.clock, repairCommand: 'setup', tailLogsCommand: () => 'tail-logs' });
    const healthMs = world.clock.now() - checking;

    const reading = world.clock.now();
    await readFlow(flowRequest({ producer, consumer, config, state, clock: world.clock, windowMs: DEFAULT_WINDOW_MS }));
    const flowMs = world.clock.now() - reading;

    const boundMs = connectMs + Math.max(healthMs, flowMs);
    return { statusMs, connectMs, healthMs, flowMs, boundMs };
  } finally {
    world.cloud.restore();
  }
}
