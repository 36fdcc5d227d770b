import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { PRODUCER, REGION, twoAccounts } from './two-accounts.js';

type World = ReturnType<typeof twoAccounts>;

/** Two fresh accounts with deployment "orders" set up in them. */
export async function deployedOrders(): Promise<World> {
  const world = twoAccounts();
  expect(await world.setup('--name', 'orders')).toBe(ExitCode.Success);
  return world;
}

/** `count` records put into the orders stream as a producer would, straight through Kinesis. */
export async function putOrders(world: World, count: number): Promise<void> {
  const kinesis = new KinesisClient({ region: REGION, credentials: world.cloud.credentialsFor(PRODUCER) });
  const records = Array.from({ length: count }, (_, i) => ({ PartitionKey: `k${i}`, Data: new TextEncoder().encode(`{"n":${i}}`) }));
  await kinesis.send(new PutRecordsCommand({ StreamName: 'orders-stream', Records: records }));
}
