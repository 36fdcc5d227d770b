/**
 * How every command opens a deployment: finds it by name, connects the accounts it needs (one path, with
 * every check made once), and reads what its steps recorded through typed readers.
 */
import { connectBoth } from '../aws/sessions.js';
import type { AccountRole, AccountSession, ConnectOptions } from '../aws/session.js';
import { commandLine, accountFlags } from '../commands/hints.js';
import { sessionFactory, type CommandContext } from '../context.js';
import type { Outputs } from '../engine/types.js';
import { UserError } from '../errors.js';
import { STEP } from '../pipeline/steps/context.js';
import { validateRegion } from '../pipeline/validate.js';
import type { AccountRecord, DeploymentState } from './store.js';

const FLAG: Record<AccountRole, string> = { producer: '--producer-profile', consumer: '--consumer-profile' };

export interface OpenOptions {
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
export type OpenedDeployment<R extends AccountRole, S extends DeploymentState | undefined = DeploymentState> = {
  name: string;
  state: S;
  /** Where the state file lives (or would live), for messages. */
  stateFile: string;
  /** Without a state file: when a complete teardown removed it, if one did. */
  tornDownAt?: string | undefined;
  /** Without a state file: the KMS key that teardown kept, if it kept one. */
  keptKey?: Outputs | undefined;
} & { [K in R]: AccountSession } & { [K in Exclude<AccountRole, R>]?: undefined };

/** What is known of one account before connecting: the profile to use (unless its flag is given) and where its resources are. */
export interface KnownAccount {
  profile?: string | undefined;
  /** The account, region and profile a state file (or a teardown's record) says the deployment's resources are in. */
  recorded?: AccountRecord | undefined;
}

export interface ConnectRequest<R extends AccountRole> {
  /** The accounts to connect: each profile from its flag, else from what is known. */
  accounts: { [K in R]: KnownAccount };
  /** The deployment name, for messages. */
  deployment?: string | undefined;
  /** Setup passes the region its answers chose; the other commands take `--region`, else the recorded one. */
  region?: string | undefined;
  mfaCodeProvider?: ((mfaSerial: string) => Promise<string>) | undefined;
}

/**
 * Finds the deployment a command works on and connects to the accounts it needs.
 *
 * The name is `--name`, or the only state file in the state directory. Profiles come from
 * `--producer-profile` / `--consumer-profile`, else from the state; the region from `--region`,
 * else from the state. Each connected account must be the one the state records, so that a wrong
 * profile is refused before anything is read or written in the wrong account.
 */
export async function openDeployment<R extends AccountRole>(ctx: CommandContext, need: readonly R[], options?: { allowMissingState?: false }): Promise<OpenedDeployment<R, DeploymentState>>;
export async function openDeployment<R extends AccountRole>(ctx: CommandContext, need: readonly R[], options: OpenOptions): Promise<OpenedDeployment<R, DeploymentState | undefined>>;
export async function openDeployment<R extends AccountRole>(ctx: CommandContext, need: readonly R[], options: OpenOptions = {}): Promise<OpenedDeployment<R, DeploymentState | undefined>> {
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
  const known = (role: AccountRole): KnownAccount => {
    // A teardown's record speaks for an account only when its flag does not.
    const recorded = state ? state.accounts[role] : profileFlag(ctx, role) ? undefined : tornDown?.accounts[role];
    return { profile: recorded?.profile, recorded };
  };
  const roles = [...new Set(need)];
  const accounts = Object.fromEntries(roles.map((role) => [role, known(role)])) as { [K in R]: KnownAccount };
  const sessions = await connectAccounts(ctx, { accounts, deployment: name });
  return { name, state, stateFile, tornDownAt: tornDown?.tornDownAt, keptKey: tornDown?.key, ...sessions } as OpenedDeployment<R, DeploymentState | undefined>;
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
  throw new UserError(`There are ${known.length} deployments in ${dir}: ${known.join(', ')}.`, `Say which one with --name, e.g. --name ${known[0]}.`);
}

/**
 * The one way to connect: each profile from its flag, else from what is known; the region from the request,
 * `--region`, or the recorded one. Two accounts connect together through `connectBoth` (their regions must
 * agree, MFA prompts come one at a time, and when both fail both are said); then each must be the account
 * recorded for it, so that a wrong profile is refused before anything is read or written in the wrong account.
 */
export async function connectAccounts<R extends AccountRole>(ctx: CommandContext, request: ConnectRequest<R>): Promise<{ [K in R]: AccountSession }> {
  // A region no partition has is refused before any call, which would only fail at name resolution.
  const regionFlag = ctx.options.region === undefined ? true : validateRegion(ctx.options.region);
  if (regionFlag !== true) throw new UserError(`--region: ${regionFlag}`);
  const roles = Object.keys(request.accounts) as R[];
  const known = (role: R): KnownAccount => request.accounts[role];
  const profiles = roles.map((role) => profileOf(ctx, role, known(role), request.deployment));
  const recordedRegion = roles.map((role) => known(role).recorded?.region).find((region) => region !== undefined);
  const region = request.region ?? ctx.options.region ?? recordedRegion;
  if (ctx.options.region && recordedRegion && ctx.options.region !== recordedRegion) {
    ctx.reporter.warn(`--region ${ctx.options.region} differs from the region of deployment "${request.deployment}" (${recordedRegion}); its resources will not be found there.`);
  }
  const factory = await sessionFactory(ctx);
  const connectOptions: ConnectOptions = { ...(region && { region }), ...(request.mfaCodeProvider && { mfaCodeProvider: request.mfaCodeProvider }) };
  const connected =
    roles.length === 2
      ? await connectBoth(factory, { producerProfile: profiles[roles.indexOf('producer' as R)]!, consumerProfile: profiles[roles.indexOf('consumer' as R)]!, ...connectOptions })
      : { [roles[0]!]: await factory.connect(profiles[0]!, roles[0]!, connectOptions) };
  const sessions = {} as { [K in R]: AccountSession };
  for (const role of roles) {
    const session = (connected as Record<AccountRole, AccountSession>)[role];
    // A region that differs by `--region` was warned about above; the run looks where it was told to.
    checkRecordedAccount(ctx, role, session, known(role), request.deployment, { regionMayDiffer: ctx.options.region !== undefined });
    ctx.reporter.debug(`${role}: profile "${session.profile}", account ${session.accountId}, region ${session.region}`);
    sessions[role] = session;
  }
  return sessions;
}

function profileOf(ctx: CommandContext, role: AccountRole, known: KnownAccount, deployment: string | undefined): string {
  const profile = profileFlag(ctx, role) ?? known.profile;
  if (!profile) throw new UserError(`No ${role} profile is known${deployment ? ` for deployment "${deployment}"` : ''}.`, `Pass ${FLAG[role]} <profile>.`);
  return profile;
}

/**
 * Setup's check, once it holds the deployment's lock (its name may have been typed after connecting): a
 * state file belongs to one pair of accounts in one region; another pair, or another region, is another deployment.
 */
export function checkDeploymentAccounts(ctx: CommandContext, state: DeploymentState, sessions: Record<AccountRole, AccountSession>): void {
  for (const role of ['producer', 'consumer'] as const) {
    checkRecordedAccount(ctx, role, sessions[role], { profile: state.accounts[role]?.profile, recorded: state.accounts[role] }, state.name, { regionMayDiffer: false });
  }
}

/** A deployment's resources are in the accounts it records: a profile that reaches another account is refused, and so is another region unless allowed. */
function checkRecordedAccount(ctx: CommandContext, role: AccountRole, session: AccountSession, known: KnownAccount, deployment: string | undefined, options: { regionMayDiffer: boolean }): void {
  const { recorded } = known;
  if (!recorded) return;
  if (session.accountId !== recorded.accountId) {
    throw new UserError(
      `The ${role} profile "${session.profile}" reaches account ${session.accountId}, but deployment "${deployment}" has its ${role} resources in account ${recorded.accountId}.`,
      profileFlag(ctx, role) !== undefined || !known.profile
        ? `Pass a ${FLAG[role]} that reaches account ${recorded.accountId}${known.profile ? `, or leave it out to use the deployment's profile "${known.profile}"` : ''}.`
        : `Profile "${session.profile}" now points at another account. Pass ${FLAG[role]} with a profile for account ${recorded.accountId}.`,
    );
  }
  if (session.region !== recorded.region && !options.regionMayDiffer) {
    throw new UserError(
      `Deployment "${deployment}" has its ${role} resources in ${recorded.region}, but profile ${session.profile} reaches ${session.region}.`,
      `Pass --region ${recorded.region}, or choose another --name for a new deployment in ${session.region}.`,
    );
  }
}

function profileFlag(ctx: CommandContext, role: AccountRole): string | undefined {
  return role === 'producer' ? ctx.options.producerProfile : ctx.options.consumerProfile;
}

/** A step's output from the state, as a string; undefined when the step or the output is absent. */
function recorded(state: DeploymentState | undefined, step: string, key: string): string | undefined {
  const value = state?.steps[step]?.outputs[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The error for a value a command needs that the deployment has not recorded: which step has not run, and how to finish it. */
function notRecorded(ctx: CommandContext, state: DeploymentState, step: string, key: string): UserError {
  const name = state.name;
  return new UserError(
    `Deployment "${name}" has no ${key} recorded: its "${step}" step has not completed.`,
    `Run \`${commandLine(ctx.options, 'setup', { name })}\` to finish it, or \`${commandLine(ctx.options, 'status', { name })}\` to see what exists.`,
  );
}

export interface RecordedStream {
  name: string;
  arn?: string | undefined;
}

/** The deployment's stream, as its state records it. */
export function deploymentStream(state: DeploymentState | undefined): RecordedStream | undefined {
  const name = recorded(state, STEP.stream, 'streamName');
  return name === undefined ? undefined : { name, arn: recorded(state, STEP.stream, 'streamArn') };
}

/** The deployment's stream, or an error that says setup has not made it. */
export function requireStream(ctx: CommandContext, state: DeploymentState): RecordedStream {
  const stream = deploymentStream(state);
  if (!stream) throw notRecorded(ctx, state, STEP.stream, 'streamName');
  return stream;
}

/** The function the deployment's function step made or adopted. */
export function deploymentFunction(state: DeploymentState | undefined): string | undefined {
  return recorded(state, STEP.function, 'functionName');
}

/** The function the deployment's mapping invokes (that of its function step until a mapping is made). */
export function mappedFunction(state: DeploymentState | undefined): string | undefined {
  return recorded(state, STEP.esm, 'functionName') ?? deploymentFunction(state);
}

/** The function the deployment's mapping invokes, or an error that says setup has not made it. */
export function requireMappedFunction(ctx: CommandContext, state: DeploymentState): string {
  const name = mappedFunction(state);
  if (name === undefined) throw notRecorded(ctx, state, STEP.function, 'functionName');
  return name;
}

/** The function the deployment's function step made or adopted, or an error that says setup has not made it. */
export function requireFunction(ctx: CommandContext, state: DeploymentState): string {
  const name = deploymentFunction(state);
  if (name === undefined) throw notRecorded(ctx, state, STEP.function, 'functionName');
  return name;
}

/** Whether the deployment adopted its function rather than deploying the bundled one. */
export function functionAdopted(state: DeploymentState): boolean {
  return state.steps[STEP.function]?.origin === 'adopted';
}

/** The deployment's enhanced fan-out consumer. */
export function deploymentConsumer(state: DeploymentState | undefined): { name: string; arn: string } | undefined {
  const name = recorded(state, STEP.consumer, 'consumerName');
  const arn = recorded(state, STEP.consumer, 'consumerArn');
  return name !== undefined && arn !== undefined ? { name, arn } : undefined;
}

/** The UUID of the deployment's event source mapping. */
export function deploymentMapping(state: DeploymentState | undefined): string | undefined {
  return recorded(state, STEP.esm, 'uuid');
}

export interface RecordedFailureDestination {
  arn: string;
  /** Only for the SQS queue setup made: where its reports of failed batches are read. */
  queueUrl?: string | undefined;
}

/**
 * Where the mapping reports the batches it gives up on: the queue setup made, or the existing queue, topic or
 * bucket the answers named; undefined for none (`--no-failure-destination`) or a queue not made yet.
 */
export function deploymentFailureDestination(state: DeploymentState | undefined): RecordedFailureDestination | undefined {
  const queueArn = recorded(state, STEP.failureQueue, 'queueArn');
  if (queueArn !== undefined) return { arn: queueArn, queueUrl: recorded(state, STEP.failureQueue, 'queueUrl') };
  const named = state?.inputs.failureDestination;
  return typeof named === 'string' ? { arn: named } : undefined;
}

/** When the deployment's KMS grant was created (epoch ms), as the state file records it. */
export function grantCreatedAt(state: DeploymentState | undefined): number | undefined {
  const at = Date.parse(recorded(state, STEP.grant, 'createdAt') ?? '');
  return Number.isNaN(at) ? undefined : at;
}
