import { DEFAULTS, type SetupConfig } from '../pipeline/config.js';
import { STEP } from '../pipeline/steps/context.js';

/**
 * The values a person chose rather than left at their defaults, by the step that applies them, for the plan
 * to show beside that step: the confirmation then confirms them, not only the names.
 */
export function customisedSettings(config: SetupConfig): Partial<Record<string, string>> {
  const stream = config.capacityMode === DEFAULTS.capacityMode ? [] : [config.capacityMode === 'provisioned' ? `provisioned, ${config.shards} shard(s)` : config.capacityMode];
  const logGroup = config.logRetentionDays === DEFAULTS.logRetentionDays ? [] : [`logs kept ${config.logRetentionDays} days`];
  const { esm } = config;
  const mapping = [
    ...(esm.batchSize === DEFAULTS.batchSize ? [] : [`batch size ${esm.batchSize}`]),
    ...(esm.startingPosition === undefined ? [] : [`starts at ${esm.startingPosition}${esm.startingPositionTimestamp ? ` ${esm.startingPositionTimestamp}` : ''}`]),
    // -1 is Lambda's "no limit" for both.
    ...(esm.maxRetries === DEFAULTS.maxRetries ? [] : [`max retries ${esm.maxRetries === -1 ? 'unlimited' : esm.maxRetries}`]),
    ...(esm.maxRecordAgeSeconds === DEFAULTS.maxRecordAgeSeconds ? [] : [`max record age ${esm.maxRecordAgeSeconds === -1 ? 'unlimited' : `${esm.maxRecordAgeSeconds}s`}`]),
    ...destination(config),
  ];
  const settings: Partial<Record<string, string>> = {};
  if (stream.length > 0) settings[STEP.stream] = stream.join(', ');
  if (logGroup.length > 0) settings[STEP.logGroup] = logGroup.join(', ');
  if (mapping.length > 0) settings[STEP.esm] = mapping.join(', ');
  return settings;
}

function destination({ failureDestination }: SetupConfig): string[] {
  if (failureDestination.kind === 'existing') return [`failed batches to ${failureDestination.arn}`];
  if (failureDestination.kind === 'none') return ['no failure destination'];
  return [];
}
