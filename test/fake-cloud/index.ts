export { FakeCloud, type RecordedCall } from './fake-cloud.js';
export { type LatencyModel, defaultLatency } from './latency.js';
export { type FunctionRuntime, type KinesisStreamEvent, type KinesisEventRecord, defaultRuntime, UNLIMITED_RETRIES_MODELLED_AS } from './delivery.js';
export { grantAllows, adminPolicy, type AccessRequest, type AccessDecision, type AccessEvaluator } from './access.js';
export { evaluatePolicies, shippedAccessEvaluator } from './policy-evaluator.js';
export { awsError, type ServiceName } from './errors.js';
export { STREAM_READ_ACTIONS, CONSUMER_READ_ACTIONS } from './lambda.js';
export { MAX_CONSUMERS_PER_STREAM, MAX_CREATING_CONSUMERS, MAX_POLICY_BYTES, MAX_PUT_RECORDS_BYTES, MAX_PUT_RECORDS_COUNT, MAX_RECORD_BYTES } from './kinesis.js';
export type * from './model.js';
