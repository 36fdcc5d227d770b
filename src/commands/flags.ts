/**
 * Each command's own flags, as its definition (`<command>.command.ts`) declares them to commander and its run
 * function receives them. They live apart from both because a definition loads its run module: a run module
 * that imported its definition would close a cycle.
 */
import type { SetupAnswers } from '../pipeline/config.js';

/** setup's own flags: every answer, and how to run. */
export interface SetupFlags extends SetupAnswers {
  config?: string;
  rollback: boolean;
  dryRun?: boolean;
  verify?: boolean;
  verifyTimeout: string;
}

/** teardown's own flags. */
export interface TeardownFlags {
  keyPendingDays?: number;
  keepKey?: boolean;
  keepLogs?: boolean;
  deleteStreamWithConsumers?: boolean;
  deleteFailureQueue?: boolean;
}

/** status's own flags. */
export interface StatusFlags {
  arns?: boolean;
  /** The flow figures' window, e.g. 15m. */
  since?: string;
  watch?: boolean;
}

/** export's own flags. */
export interface ExportFlags {
  /** `terraform` or `cloudformation`; anything else is refused before any call. */
  format: string;
  out: string;
  force?: boolean;
}

/** send-test-record's own flags. */
export interface SendTestRecordFlags {
  data?: string;
  file?: string;
  count: number;
  partitionKey?: string;
  streamName?: string;
  verify?: boolean;
  functionName?: string;
  timeout: string;
}

/** tail-logs's own flags. */
export interface TailLogsFlags {
  since?: string;
  follow: boolean;
  filter?: string;
  functionName?: string;
  /** The older name of --function-name. */
  function?: string;
}
