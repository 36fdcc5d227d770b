import type { Clock } from '../../src/engine/clock.js';
import type { Step } from '../../src/engine/types.js';

/** A toy world of named resources, standing in for AWS in engine tests. */
export class World {
  readonly resources = new Set<string>();
  readonly log: string[] = [];
  applies = 0;
  running = 0;
  maxRunning = 0;
  failApply = new Set<string>();
  failWait = new Set<string>();
  failUndo = new Set<string>();
}

export interface SyntheticStep {
  id: string;
  dependsOn?: string[];
  waitMs?: number;
  adopted?: boolean;
}

/** Steps that create one resource each in `world`, wait `waitMs` on the clock, and delete it on undo. */
export function syntheticSteps(world: World, clock: Clock, specs: SyntheticStep[]): Step[] {
  return specs.map((spec) => ({
    id: spec.id,
    title: `resource ${spec.id}`,
    account: spec.id.startsWith('c') ? 'consumer' : 'producer',
    dependsOn: spec.dependsOn ?? [],
    async check() {
      if (spec.adopted) world.resources.add(spec.id);
      if (!world.resources.has(spec.id)) return { status: 'missing' };
      return { status: 'done', outputs: { id: spec.id }, origin: spec.adopted ? 'adopted' : 'created' };
    },
    async apply() {
      world.running++;
      world.maxRunning = Math.max(world.maxRunning, world.running);
      world.log.push(`apply:${spec.id}@${clock.now()}`);
      try {
        await clock.sleep(10);
        if (world.failApply.has(spec.id)) throw new Error(`apply of ${spec.id} failed`);
        world.applies++;
        world.resources.add(spec.id);
        return { id: spec.id };
      } finally {
        world.running--;
      }
    },
    async wait() {
      world.running++;
      world.maxRunning = Math.max(world.maxRunning, world.running);
      try {
        await clock.sleep(spec.waitMs ?? 0);
        if (world.failWait.has(spec.id)) throw new Error(`${spec.id} never became ready`);
      } finally {
        world.running--;
      }
      world.log.push(`ready:${spec.id}@${clock.now()}`);
    },
    async undo(_ctx, outputs) {
      world.log.push(`undo:${outputs.id}`);
      if (world.failUndo.has(spec.id)) throw new Error(`cannot delete ${spec.id}`);
      world.resources.delete(spec.id);
    },
  }));
}
