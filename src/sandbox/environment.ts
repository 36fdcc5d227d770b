import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Environment, GlobalOptions } from '../context.js';
import { TORN_DOWN_SUFFIX } from '../deployment/store.js';
import { UserError } from '../errors.js';
import { bundledHandlerRuntime } from './bundled-handler.js';
import { Sandbox } from './sandbox.js';
import { sandboxSessionFactory, type SandboxProfile } from './sandbox-sessions.js';

/** The two simulated accounts, one per side, and the profiles that reach them. */
export const SANDBOX_REGION = 'eu-west-1';
export const SANDBOX_PROFILES: Record<'producer' | 'consumer', { name: string } & SandboxProfile> = {
  producer: { name: 'sandbox-producer', accountId: '111111111111', region: SANDBOX_REGION },
  consumer: { name: 'sandbox-consumer', accountId: '222222222222', region: SANDBOX_REGION },
};

/** Sandbox deployments and the simulated accounts live apart from real ones, in this folder of the state directory. */
const SANDBOX_DIR = 'sandbox';
/** Not `.json`: the state store reads every `.json` file in its folder as a deployment. */
const CLOUD_FILE = 'accounts.sandbox';

export interface SandboxOptions {
  /** How many times shorter than AWS's the sandbox's waits are; absent, the sandbox keeps its saved speed. */
  speed?: number;
}

/**
 * Refuses what would mean reaching AWS: a profile that is not a sandbox profile, or another region.
 * Runs before anything is read or written.
 */
export function checkSandboxOptions(globals: GlobalOptions): void {
  for (const side of ['producer', 'consumer'] as const) {
    const given = side === 'producer' ? globals.producerProfile : globals.consumerProfile;
    const { name } = SANDBOX_PROFILES[side];
    if (given !== undefined && given !== name) {
      throw new UserError(`--${side}-profile ${given} cannot be used with --sandbox: the sandbox never reaches AWS.`, `Leave out --${side}-profile (the sandbox uses ${name}), or leave out --sandbox to use AWS.`);
    }
  }
  if (globals.region !== undefined && globals.region !== SANDBOX_REGION) {
    throw new UserError(`--region ${globals.region} cannot be used with --sandbox: the sandbox's accounts are in ${SANDBOX_REGION}.`, 'Leave out --region, or leave out --sandbox to use AWS.');
  }
}

/**
 * The environment of a command under `--sandbox`: sessions whose clients reach only the simulated
 * accounts in `<state dir>/sandbox/`, the wall clock (the sandbox shortens AWS's waits instead), and
 * the sandbox's own deployments. The profiles default to the two sandbox profiles, so no AWS profile is
 * ever needed.
 */
export function sandboxEnvironment(environment: Environment, globals: GlobalOptions, options: SandboxOptions): { environment: Environment; globals: GlobalOptions } {
  const dir = path.join(path.resolve(environment.cwd, globals.stateDir), SANDBOX_DIR);
  const sandbox = new Sandbox({
    file: path.join(dir, CLOUD_FILE),
    accounts: [SANDBOX_PROFILES.producer.accountId, SANDBOX_PROFILES.consumer.accountId],
    runtime: bundledHandlerRuntime,
    liveTail: false,
    ...(options.speed !== undefined && { speed: options.speed }),
  });
  const profiles = Object.fromEntries(Object.values(SANDBOX_PROFILES).map(({ name, ...profile }) => [name, profile]));
  return {
    globals: {
      ...globals,
      region: SANDBOX_REGION,
      producerProfile: SANDBOX_PROFILES.producer.name,
      consumerProfile: SANDBOX_PROFILES.consumer.name,
      stateDir: path.join(globals.stateDir, SANDBOX_DIR),
    },
    environment: {
      ...environment,
      clock: sandbox.clock,
      sessions: async () => sandboxSessionFactory(sandbox, profiles),
      sandbox: {
        banner: async () => banner(await sandbox.speedToRunAt()),
        reset: () => reset(sandbox, dir),
      },
    },
  };
}

/** What every sandbox command starts with, so that no one mistakes it for AWS. One line that does not wrap at 80 columns. */
function banner(speed: number): string {
  return `SANDBOX: simulated accounts, nothing reaches AWS; AWS's waits ${speed}x shorter`;
}

/** Empties the simulated accounts and forgets the sandbox's deployments. */
async function reset(sandbox: Sandbox, dir: string): Promise<void> {
  await sandbox.reset();
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.filter((f) => f.endsWith('.json') || f.endsWith(TORN_DOWN_SUFFIX)).map((f) => rm(path.join(dir, f), { force: true })));
}
