import type { AccountRole, AccountSession } from '../aws/session.js';
import { sessionFactory, type CommandContext } from '../context.js';
import type { AccountRecord, DeploymentState } from '../engine/state.js';
import type { Outputs } from '../engine/types.js';
import { UserError } from '../errors.js';
import { STEP } from '../pipeline/steps/context.js';
import { accountFlags, commandLine } from './hints.js';

const FLAG: Record<AccountRole, string> = { producer: '--producer-profile', consumer: '--consumer-profile' };

export interface ResolveDeploymentOptions {
  /**
   * Teardown and status can work without a state file (resources are found by tags and names):
   * then `state` is undefined, and profiles and region must come from the flags.
   */
  allowMissingState?: boolean;
  /**
   * With `allowMissingState`: the error when neither a state file, nor the record of a teardown, nor
   * both profile flags say which accounts to look in (rather than the first missing profile's).
   */
  unknownAccounts?: (name: string) => Error;
}

/** A deployment found from its state file, with a session for each account the caller asked for. */
export type ResolvedDeployment<R extends AccountRole, S extends DeploymentState | undefined = DeploymentState> = {
  name: string;
  state: S;
  /** Where the state file lives (or would live), for messages. */
  stateFile: string;
  /** Without a state file: when a complete teardown removed it, if one did. */
  tornDownAt?: string | undefined;
  /** Without a state file: the KMS key that teardown kept, if it kept one. */
  keptKey?: Outputs | undefined;
} & { [K in R]: AccountSession } & { [K in Exclude<AccountRole, R>]?: undefined };

/**
 * Finds the deployment a command works on and connects to the accounts it needs.
 *
 * The name is `--name`, or the only state file in the state directory. Profiles come from
 * `--producer-profile` / `--consumer-profile`, else from the state; the region from `--region`,
 * else from the state. Each connected account must be the one the state records, so that a wrong
 * profile is refused before anything is read or written in the wrong account.
 */
export async function resolveDeployment<R extends AccountRole>(
  ctx: CommandContext,
  need: readonly R[],
  options?: { allowMissingState?: false },
): Promise<ResolvedDeployment<R, DeploymentState>>;
export async function resolveDeployment<R extends AccountRole>(
  ctx: CommandContext,
  need: readonly R[],
  options: ResolveDeploymentOptions,
): Promise<ResolvedDeployment<R, DeploymentState | undefined>>;
export async function resolveDeployment<R extends AccountRole>(
  ctx: CommandContext,
  need: readonly R[],
  options: ResolveDeploymentOptions = {},
): Promise<ResolvedDeployment<R, DeploymentState | undefined>> {
  const name = await resolveDeploymentName(ctx);
  const state = await ctx.store.load(name);
  const stateFile = ctx.store.describe(name);
  // A deployment torn down completely left a record of where it was: its profiles and region stand in for flags not given.
  const tornDown = state ? undefined : await ctx.store.tornDown(name);
  if (!state && !tornDown && options.unknownAccounts && (!profileFlag(ctx, 'producer') || !profileFlag(ctx, 'consumer'))) throw options.unknownAccounts(name);
  if (!state && !options.allowMissingState) {
    if (tornDown) {
      const accounts = accountFlags(tornDown.accounts.producer, tornDown.accounts.consumer);
      throw new UserError(
        `Deployment "${name}" was torn down at ${tornDown.tornDownAt}: nothing of it is left${tornDown.key ? ` but its KMS key ${tornDown.key.keyArn ?? tornDown.key.keyId}, which teardown kept` : ''}.`,
        `Run \`${commandLine(ctx.options, 'setup', { name, accounts })}\` to set it up again.`,
      );
    }
    const known = await ctx.store.list();
    throw new UserError(
      `No deployment named "${name}" was found (${stateFile}).` + (known.length > 0 ? ` Known deployments: ${known.join(', ')}.` : ''),
      known.length > 0
        ? `Pass --name with one of them, or --state-dir if the state lives elsewhere.`
        : `Run \`${commandLine(ctx.options, 'setup', { name })}\` first, or pass --state-dir if the state lives elsewhere.`,
    );
  }

  const roles = [...new Set(need)];
  const settled = await Promise.allSettled(
    roles.map((role) => connectAccount(ctx, role, { deployment: name, recorded: state ? state.accounts[role] : profileFlag(ctx, role) ? undefined : tornDown?.accounts[role] })),
  );
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ role: roles[i]!, reason: s.reason as unknown }] : []));
  if (failures.length === 1) throw failures[0]!.reason;
  if (failures.length > 1) {
    const reasons = failures.map((f) => f.reason);
    if (reasons.every((r): r is UserError => r instanceof UserError)) {
      const hints = [...new Set(reasons.map((r) => r.hint).filter((h): h is string => Boolean(h)))];
      throw new UserError(
        `Neither account could be reached:\n${failures.map((f) => `  ${f.role}: ${(f.reason as Error).message}`).join('\n')}`,
        hints.length > 0 ? hints.join('\n') : undefined,
      );
    }
    throw reasons.find((r) => !(r instanceof UserError)) ?? reasons[0];
  }

  const sessions: Partial<Record<AccountRole, AccountSession>> = {};
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') sessions[roles[i]!] = s.value;
  });
  return { name, state, stateFile, tornDownAt: tornDown?.tornDownAt, keptKey: tornDown?.key, ...sessions } as ResolvedDeployment<R, DeploymentState | undefined>;
}

/** `--name`, or the only deployment in the state directory. */
export async function resolveDeploymentName(ctx: CommandContext): Promise<string> {
  if (ctx.options.name) return ctx.options.name;
  const known = await ctx.store.list();
  if (known.length === 1) return known[0]!;
  const dir = ctx.options.stateDir;
  if (known.length === 0) {
    throw new UserError(
      `No deployment was found in ${dir}.`,
      `Run \`${commandLine(ctx.options, 'setup')}\` first, or pass --name (and --state-dir if the state lives elsewhere), or the profiles and names as flags.`,
    );
  }
  throw new UserError(
    `There are ${known.length} deployments in ${dir}: ${known.join(', ')}.`,
    `Say which one with --name, e.g. --name ${known[0]}.`,
  );
}

export interface ConnectAccountOptions {
  /** The deployment name, for messages. */
  deployment?: string;
  /** What the state file says about this account: its profile, account id and region. */
  recorded?: AccountRecord | undefined;
}

/**
 * Connects one account: the profile from its flag or the state, the region from `--region` or the
 * state. Refuses a profile that reaches a different account than the one the state records.
 */
export async function connectAccount(ctx: CommandContext, role: AccountRole, options: ConnectAccountOptions = {}): Promise<AccountSession> {
  const { recorded, deployment } = options;
  const flagProfile = profileFlag(ctx, role);
  const profile = flagProfile ?? recorded?.profile;
  if (!profile) {
    throw new UserError(
      `No ${role} profile is known${deployment ? ` for deployment "${deployment}"` : ''}.`,
      `Pass ${FLAG[role]} <profile>.`,
    );
  }
  const region = ctx.options.region ?? recorded?.region;
  if (ctx.options.region && recorded?.region && ctx.options.region !== recorded.region) {
    ctx.reporter.warn(
      `--region ${ctx.options.region} differs from the region of deployment "${deployment}" (${recorded.region}); its resources will not be found there.`,
    );
  }

  const factory = await sessionFactory(ctx);
  const session = await factory.connect(profile, role, region ? { region } : {});
  if (recorded?.accountId && session.accountId !== recorded.accountId) {
    throw new UserError(
      `The ${role} profile "${profile}" reaches account ${session.accountId}, but deployment "${deployment}" has its ${role} resources in account ${recorded.accountId}.`,
      flagProfile
        ? `Pass a ${FLAG[role]} that reaches account ${recorded.accountId}, or leave it out to use the deployment's profile "${recorded.profile}".`
        : `Profile "${profile}" now points at another account. Pass ${FLAG[role]} with a profile for account ${recorded.accountId}.`,
    );
  }
  ctx.reporter.debug(`${role}: profile "${profile}", account ${session.accountId}, region ${session.region}`);
  return session;
}

function profileFlag(ctx: CommandContext, role: AccountRole): string | undefined {
  return role === 'producer' ? ctx.options.producerProfile : ctx.options.consumerProfile;
}

/** A step's outputs from the state, as strings; undefined when the step or the output is absent. */
export function stepOutput(state: DeploymentState | undefined, step: string, key: string): string | undefined {
  const value = state?.steps[step]?.outputs[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Like `stepOutput`, but an absent value is a UserError that says which step has not run. */
export function requireStepOutput(ctx: CommandContext, state: DeploymentState, step: string, key: string): string {
  const value = stepOutput(state, step, key);
  if (value === undefined) {
    const name = state.name;
    throw new UserError(
      `Deployment "${name}" has no ${key} recorded: its "${step}" step has not completed.`,
      `Run \`${commandLine(ctx.options, 'setup', { name })}\` to finish it, or \`${commandLine(ctx.options, 'status', { name })}\` to see what exists.`,
    );
  }
  return value;
}

/** When the deployment's KMS grant was created (epoch ms), as the state file records it. */
export function grantCreatedAt(state: DeploymentState | undefined): number | undefined {
  const at = Date.parse(stepOutput(state, STEP.grant, 'createdAt') ?? '');
  return Number.isNaN(at) ? undefined : at;
}
