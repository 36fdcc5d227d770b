import type { Outputs, Step } from '../../engine/types.js';
import type { HealthContext, HealthReading } from '../health-reading.js';

/** A resource as teardown plans its removal: the step's title, and what setup recorded of it. */
export interface Removed {
  title: string;
  outputs: Outputs;
}

/**
 * A setup step with what only the pipeline needs to know of its resource, so that the step file stays the one
 * place for it: which output identifies it, how a teardown names its removal, and what status reads about it. The engine runs it as a plain Step.
 */
export interface PipelineStep extends Step {
  /** The output that identifies the resource to a reader: its ARN, or its id where it has none. */
  idOutput: string;
  /** What removing it does, in the user's words ("delete stream orders-stream"). Absent: "remove <title>". */
  removal?(removed: Removed, keyPendingDays: number): string;
  /** Whether removing it changes nothing by itself (encryption of a stream that is deleted anyway): not worth a line in the plan. */
  removesNothing?(outputs: Outputs): boolean;
  /** Steps whose removal this one's waits for although the reversed setup graph does not say so. */
  removedAfter?: string[];
  /** Whether it goes when its stream is deleted (its encryption, its EFO consumers, the resource policies on both). */
  goesWithStream?: boolean;
  /** What status reads live about the resource beyond its check: its state as AWS reports it, and what is wrong with it. Read only. */
  health?(live: HealthContext): Promise<HealthReading>;
}

/** The one identifier worth showing for a step's outputs; undefined for a step no one knows (a newer kds-xacct wrote it). */
export function primaryId(step: Pick<PipelineStep, 'idOutput'> | undefined, outputs: Outputs): string | undefined {
  return step && outputs[step.idOutput];
}
