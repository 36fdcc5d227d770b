import { VirtualClock } from '../../src/engine/clock.js';
import { MemoryStateStore } from '../../src/deployment/store.js';
import { FakeCloud, type LatencyModel } from '../../src/sandbox/index.js';
import { bundledHandlerRuntime } from '../../src/sandbox/bundled-handler.js';
import { createHarness, sessionFactoryFor } from './command-harness.js';
import { iamSimulateAccess } from './iam-simulate-access.js';

export const PRODUCER = '111111111111';
export const CONSUMER = '222222222222';
export const REGION = 'eu-west-1';
/** A second consumer account, for several deployments on one stream. */
export const CONSUMER_2 = '333333333333';

/**
 * A producer and a consumer account in the fake cloud, reached through the profiles `prod` and
 * `analytics` (plus `other-region`, a consumer profile in another region, and `marketing`, a second
 * consumer account), and a harness that
 * runs the real CLI against them.
 */
export function twoAccounts(options: { latency?: Partial<LatencyModel> } = {}) {
  const clock = new VirtualClock();
  const cloud = new FakeCloud({ clock, latency: options.latency, access: iamSimulateAccess });
  cloud.addAccount(PRODUCER);
  cloud.addAccount(CONSUMER);
  cloud.addAccount(CONSUMER_2);
  cloud.install();
  cloud.setFunctionRuntime(bundledHandlerRuntime);
  const sessions = sessionFactoryFor({
    prod: { region: REGION, credentials: cloud.credentialsFor(PRODUCER) },
    analytics: { region: REGION, credentials: cloud.credentialsFor(CONSUMER) },
    'other-region': { region: 'us-east-1', credentials: cloud.credentialsFor(CONSUMER) },
    marketing: { region: REGION, credentials: cloud.credentialsFor(CONSUMER_2) },
  });
  const store = new MemoryStateStore();
  const harness = createHarness({ sessions, clock, store });
  const setup = (...args: string[]) => harness.run('setup', '--producer-profile', 'prod', '--consumer-profile', 'analytics', '--yes', ...args);
  return { clock, cloud, sessions, store, harness, setup };
}
