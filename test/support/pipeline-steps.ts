import type { AccountSession } from '../../src/aws/session.js';
import { newState } from '../../src/deployment/store.js';
import { completeConfig } from '../../src/pipeline/config.js';
import { defaultNames } from '../../src/pipeline/names.js';
import { pipelineContext } from '../../src/pipeline/steps/context.js';
import { setupSteps } from '../../src/pipeline/steps/index.js';

/** The setup steps of deployment `name`, for what they say without calling AWS: their sessions have no clients. */
export function pipelineSteps(name = 'orders') {
  const session = (accountId: string) => ({ accountId, region: 'eu-west-1', profile: accountId, clients: {} }) as unknown as AccountSession;
  const consumer = session('222222222222');
  const config = completeConfig({ name }, defaultNames(name, consumer.accountId));
  return setupSteps(pipelineContext({ config, producer: session('111111111111'), consumer, previous: newState(name, 'setup', new Date(0)) }));
}
