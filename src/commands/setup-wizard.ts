/**
 * setup's wizard: asks for what flags, --config and a deployment's recorded answers did not say. Only
 * what has no good default is asked outright; the rest waits behind one "Customise …?" question.
 */
import type { AccountSession } from '../aws/session.js';
import { sessionFactory, type CommandContext } from '../context.js';
import { connectAccounts } from '../deployment/open.js';
import type { Clock } from '../engine/clock.js';
import type { DeploymentState } from '../deployment/store.js';
import { InterruptedError, UserError } from '../errors.js';
import type { Prompter } from '../prompts.js';
import { DEFAULTS, flagFor, mergeAnswers, type SetupAnswers } from '../pipeline/config.js';
import { describeStream, kinesisTags, listAliases, listFunctions, listStreams } from '../pipeline/lookups.js';
import { defaultNames, KMS_ALIAS_PREFIX, TAG_DEPLOYMENT, type DeploymentNames } from '../pipeline/names.js';
import {
  validateBatchSize,
  validateConsumerName,
  validateDeploymentName,
  validateFailureDestinationArn,
  validateFunctionName,
  validateLogRetentionDays,
  validateMaximumRecordAgeInSeconds,
  validateMaximumRetryAttempts,
  validateRegion,
  validateShardCount,
  validateStartingPositionTimestamp,
  validateStreamName,
  type StartingPosition,
} from '../pipeline/validate.js';

/**
 * A question with a good default, asked only after "Customise names, capacity and mapping settings?" is
 * answered Yes, and only where it applies to the answers so far (a stream name only for a new stream).
 */
interface Customisation<K extends keyof SetupAnswers = keyof SetupAnswers> {
  key: K;
  question: (p: Prompter) => Promise<SetupAnswers[K]>;
  appliesTo: (answers: SetupAnswers) => boolean;
}

/**
 * Asks for what flags and --config did not say. With no terminal or with --yes nothing is asked,
 * and a missing required answer is a usage error naming its flag.
 */
export class Wizard {
  private prompter: Prompter | undefined;

  constructor(
    private readonly ctx: CommandContext,
    readonly answers: SetupAnswers,
    /**
     * The answers start from what the deployment recorded: the re-run repairs it as it was set up, so
     * what the record leaves out took its default then and is not asked now.
     */
    private recorded: boolean,
  ) {}

  /** A deployment named by typing it rather than by --name: from here on, as if --name had named it. */
  startFrom(recorded: SetupAnswers): void {
    Object.assign(this.answers, mergeAnswers(recorded, this.answers));
    this.recorded = true;
  }

  private async prompts(): Promise<Prompter> {
    this.prompter ??= await this.ctx.environment.prompter();
    return this.prompter;
  }

  /** Ctrl-C while the wizard was reading lists from AWS: stop before the next question. */
  private stopIfInterrupted(): void {
    if (this.ctx.environment.interrupt.interrupted) throw new InterruptedError('Interrupted. Nothing was changed.');
  }

  /** The answer if given; otherwise asked (interactive) or a usage error (required) or undefined (has a default). */
  async ask<K extends keyof SetupAnswers>(key: K, question: (p: Prompter) => Promise<SetupAnswers[K]>, required = false): Promise<SetupAnswers[K]> {
    this.stopIfInterrupted();
    if (this.answers[key] !== undefined || (this.recorded && !required)) return this.answers[key];
    if (!this.ctx.interactive) {
      if (required) throw new UserError(`Missing ${flagFor(key)}.`, `Pass ${flagFor(key)} (or put "${key}" in a --config file); with --yes or without a terminal nothing is asked.`);
      return undefined;
    }
    this.answers[key] = await question(await this.prompts());
    return this.answers[key];
  }

  /**
   * "Create new" or one of the existing resources, for the stream and the function, unless flags already
   * gave the name. An existing one sets the name; a new one keeps its default name until "Customise".
   */
  async chooseNewOrExisting(
    nameKey: 'streamName' | 'functionName',
    existingKey: 'useExistingStream' | 'useExistingFunction',
    /** `created` is the answer a new one echoes; `onlyChoice` what a line says was taken when there is no existing one to offer. */
    question: { message: string; create: string; created: string; onlyChoice: string; existing: () => Promise<ExistingResource[]> },
  ): Promise<void> {
    if (this.answers[nameKey] !== undefined) return;
    await this.ask(existingKey, async (p) => {
      const existing = await question.existing();
      // A question with one answer is no question: take it, and say so where the question would have been.
      if (existing.length === 0) {
        this.ctx.reporter.info(`${question.message} ${question.onlyChoice}.`);
        return false;
      }
      const chosen = await p.select<string | undefined>({
        message: question.message,
        choices: [{ name: question.create, value: undefined, short: question.created }, ...existing.map(({ name, note }) => ({ name: `Use existing: ${name}${note ? ` (${note})` : ''}`, value: name, short: name }))],
      });
      if (chosen !== undefined) this.answers[nameKey] = chosen;
      return chosen !== undefined;
    });
  }

  /**
   * One question in front of everything that has a good default; No, the default, keeps them all. Not
   * asked when flags, --config or the recorded answers already settled every question it leads to.
   */
  async customise(questions: Customisation[]): Promise<void> {
    const open = questions.some((q) => q.appliesTo(this.answers) && this.answers[q.key] === undefined);
    if (!open || this.recorded || !this.ctx.interactive) return;
    this.stopIfInterrupted();
    if (!(await (await this.prompts()).confirm({ message: 'Customise names, capacity and mapping settings?', default: false }))) return;
    // In order, each judged on the answers so far: the shard count only once the mode is provisioned.
    for (const q of questions) if (q.appliesTo(this.answers)) await this.ask(q.key, q.question);
  }

  async confirm(message: string): Promise<boolean> {
    return (await this.prompts()).confirm({ message, default: false });
  }

  /** An MFA code is asked for whenever there is a terminal, even under --yes: nothing else can supply it. */
  mfaCodeProvider(): ((serial: string) => Promise<string>) | undefined {
    if (!this.ctx.environment.stdinIsTTY || !this.ctx.environment.stdoutIsTTY) return undefined;
    return async (serial) => (await this.prompts()).input({ message: `MFA code for ${serial}:`, validate: (v) => /^\d{6}$/.test(v) || 'Enter the 6-digit code.' });
  }
}

export async function chooseProfiles(ctx: CommandContext, wizard: Wizard): Promise<void> {
  const needProfiles = wizard.answers.producerProfile === undefined || wizard.answers.consumerProfile === undefined;
  const known = needProfiles && ctx.interactive ? await (await sessionFactory(ctx)).listProfiles() : [];
  const pick = (role: string) => async (p: Prompter) => {
    const typed = '\u0000type';
    const choice = await p.select({
      message: `Profile of the ${role} account:`,
      choices: [...known.map((name) => ({ name, value: name })), { name: 'Type a profile name…', value: typed }],
    });
    return choice === typed ? p.input({ message: `${role} profile name:`, validate: (v) => v.trim() !== '' || 'Enter a profile name.' }) : choice;
  };
  await wizard.ask('producerProfile', pick('producer (stream, consumer, KMS key)'), true);
  await wizard.ask('consumerProfile', pick('consumer (role, function, event source mapping)'), true);
}

export async function connect(ctx: CommandContext, wizard: Wizard) {
  const { producerProfile, consumerProfile } = wizard.answers;
  if (wizard.answers.region !== undefined && validateRegion(wizard.answers.region) !== true) {
    throw new UserError(`--region: ${validateRegion(wizard.answers.region) as string}`);
  }
  const connected = await connectAccounts(ctx, {
    accounts: { producer: { profile: producerProfile }, consumer: { profile: consumerProfile } },
    region: wizard.answers.region,
    mfaCodeProvider: wizard.mfaCodeProvider(),
  });
  for (const role of ['producer', 'consumer'] as const) {
    const { accountId, profile, callerArn } = connected[role];
    // The caller's ARN on a line of its own: an SSO role's is as wide as a terminal.
    ctx.reporter.info(`${role === 'producer' ? 'Producer' : 'Consumer'} account ${accountId} (profile ${profile}), signed in as\n  ${callerArn}`);
  }
  if (connected.producer.accountId === connected.consumer.accountId) ctx.reporter.warn('Both profiles reach the same account. That works; the policies then grant access within one account.');
  return connected;
}

/**
 * The producer account's customer managed keys, by alias, that a deployment may use. Keys kds-xacct made
 * belong to their deployment, whose teardown deletes them: never a choice for another one.
 */
async function customerKeyAliases(clock: Clock, producer: AccountSession): Promise<string[]> {
  const names = (await listAliases(clock, producer.clients.kms)).filter((a) => a.TargetKeyId).map((a) => a.AliasName!);
  return names.filter((name) => !name.startsWith('alias/aws/') && !name.startsWith(KMS_ALIAS_PREFIX));
}

/**
 * The stream's key is asked for only when there is a real choice. An existing stream that is already
 * encrypted keeps its own key: kds-xacct never re-encrypts a stream in use (and planning explains why one
 * under the AWS managed key cannot be read across accounts). A new stream, or an existing one that is not
 * encrypted, gets a new key unless the producer account has customer managed keys of its own to pick from.
 */
async function chooseKmsKey(wizard: Wizard, clock: Clock, producer: AccountSession, ownAlias: string): Promise<void> {
  await wizard.ask('kmsKey', async (p) => {
    const { useExistingStream, streamName } = wizard.answers;
    if (useExistingStream && streamName && (await describeStream(clock, producer, streamName))?.EncryptionType === 'KMS') return undefined;
    const aliases = await customerKeyAliases(clock, producer);
    if (aliases.length === 0) return undefined;
    return p.select<string | undefined>({
      message: 'KMS key for the stream:',
      choices: [{ name: `Create a new customer managed key (${ownAlias})`, value: undefined, short: `new key ${ownAlias}` }, ...aliases.map((alias) => ({ name: `Use existing: ${alias}`, value: alias, short: alias }))],
    });
  });
}

function customisation<K extends keyof SetupAnswers>(key: K, question: (p: Prompter) => Promise<SetupAnswers[K]>, appliesTo: (answers: SetupAnswers) => boolean = () => true): Customisation {
  return { key, question, appliesTo };
}

const newStream = (answers: SetupAnswers) => !answers.useExistingStream;
const bundledFunction = (answers: SetupAnswers) => !answers.useExistingFunction;

function numberInput(message: string, fallback: number, validate: (value: string) => string | true) {
  return async (p: Prompter) => Number(await p.input({ message, default: String(fallback), validate }));
}

/** What "Customise" leads to, in order. Each question's default is the value taken when it is not asked. */
function customisations(defaults: DeploymentNames, deployment: string, clock: Clock): Customisation[] {
  return [
    customisation('streamName', (p) => p.input({ message: 'New stream name:', default: defaults.streamName, validate: validateStreamName }), newStream),
    customisation(
      'capacityMode',
      (p) =>
        p.select({
          message: 'Capacity mode:',
          choices: [
            { name: 'On-demand (scales by itself, billed per GB)', value: 'on-demand' as const, short: 'On-demand' },
            { name: 'Provisioned (fixed shards, billed per shard hour)', value: 'provisioned' as const, short: 'Provisioned' },
          ],
        }),
      newStream,
    ),
    customisation('shards', numberInput('Shard count:', DEFAULTS.shards, validateShardCount), (a) => newStream(a) && a.capacityMode === 'provisioned'),
    customisation('functionName', (p) => p.input({ message: 'Function name:', default: defaults.functionName, validate: validateFunctionName }), bundledFunction),
    customisation('runtime', (p) => p.select({ message: 'Runtime:', choices: [{ name: 'nodejs22.x', value: 'nodejs22.x' as const }, { name: 'nodejs24.x', value: 'nodejs24.x' as const }] }), bundledFunction),
    customisation('logRetentionDays', numberInput("Days to keep the function's logs (if setup makes its log group):", DEFAULTS.logRetentionDays, validateLogRetentionDays)),
    customisation('consumerName', (p) => p.input({ message: 'EFO consumer name:', default: defaults.consumerName, validate: validateConsumerName })),
    customisation('batchSize', numberInput('Batch size:', DEFAULTS.batchSize, validateBatchSize)),
    customisation('startingPosition', (p) =>
      p.select<StartingPosition | undefined>({
        message: 'Starting position:',
        choices: [
          { name: 'Automatic: TRIM_HORIZON for a new stream, AT_TIMESTAMP (the start of setup) for an existing one', value: undefined, short: 'Automatic' },
          { name: 'TRIM_HORIZON (oldest record kept)', value: 'TRIM_HORIZON', short: 'TRIM_HORIZON' },
          { name: 'AT_TIMESTAMP (records put from a time you choose)', value: 'AT_TIMESTAMP', short: 'AT_TIMESTAMP' },
          { name: 'LATEST (only records put once the mapping polls, which can be minutes after it is enabled)', value: 'LATEST', short: 'LATEST' },
        ],
      }),
    ),
    customisation(
      'startingPositionTimestamp',
      async (p) => {
        const typed = await p.input({
          message: 'Start at (ISO 8601, e.g. 2025-06-01T09:30:00Z; empty for the start of setup):',
          validate: (v) => v.trim() === '' || validateStartingPositionTimestamp(v.trim(), clock.now()),
        });
        return typed.trim() === '' ? undefined : typed.trim();
      },
      (a) => a.startingPosition === 'AT_TIMESTAMP',
    ),
    customisation('maxRetries', numberInput('Maximum retry attempts:', DEFAULTS.maxRetries, validateMaximumRetryAttempts)),
    customisation('maxRecordAge', numberInput('Maximum record age (seconds, -1 for none):', DEFAULTS.maxRecordAgeSeconds, validateMaximumRecordAgeInSeconds)),
    customisation('failureDestination', async (p) => {
      const choice = await p.select({
        message: 'Where should the mapping report batches it gives up on?',
        choices: [
          { name: `A new SQS queue (${deployment}-failed-batches): the shard and sequence numbers of each failed batch`, value: 'queue' as const, short: `new queue ${deployment}-failed-batches` },
          { name: 'An existing SQS queue, SNS topic or S3 bucket (only S3 also keeps the records)', value: 'existing' as const, short: 'an existing queue, topic or bucket' },
          { name: 'Nowhere: failed batches are dropped without a trace', value: 'none' as const, short: 'Nowhere' },
        ],
      });
      if (choice === 'queue') return undefined;
      if (choice === 'none') return false;
      return p.input({ message: 'ARN of the queue, topic or bucket:', validate: validateFailureDestinationArn });
    }),
  ];
}

/** What a deployment's state file recorded, in its region: a re-run starts from it. */
export function answersRecordedIn(state: DeploymentState): SetupAnswers {
  return { region: state.accounts.producer?.region, ...state.inputs };
}

/** A typed name of a deployment that exists starts from its recorded answers, exactly as `--name` does. */
async function recallDeployment(ctx: CommandContext, wizard: Wizard): Promise<void> {
  const name = wizard.answers.name!;
  const deployed = await ctx.store.load(name);
  if (!deployed) return;
  wizard.startFrom(answersRecordedIn(deployed));
  ctx.reporter.info(`Deployment "${name}" exists: using the answers it recorded (as --name ${name} does).`);
}

/**
 * The questions without a good default (region, name, stream, function, and the key when there is a real
 * choice), then "Customise …?" in front of the rest.
 */
export async function askTheRest(ctx: CommandContext, wizard: Wizard, producer: AccountSession, consumer: AccountSession): Promise<void> {
  const { clock } = ctx.environment;
  await wizard.ask('region', (p) => p.input({ message: 'Region:', default: producer.region, validate: validateRegion }));
  const typed = wizard.answers.name === undefined;
  await wizard.ask('name', (p) => p.input({ message: 'Deployment name (resource names derive from it):', validate: validateDeploymentName }), true);
  if (typed) await recallDeployment(ctx, wizard);
  const defaults = defaultNames(wizard.answers.name!, consumer.accountId);

  await wizard.chooseNewOrExisting('streamName', 'useExistingStream', {
    message: 'Stream:',
    create: `Create a new stream (${defaults.streamName})`,
    created: `new, ${defaults.streamName}`,
    onlyChoice: `new, ${defaults.streamName} (the producer account has none yet)`,
    existing: async () => {
      const streams = await listStreams(clock, producer.clients.kinesis);
      return Promise.all(streams.map(async (s) => ({ name: s.StreamName!, note: otherDeploymentNote(await kinesisTags(clock, producer.clients.kinesis, s.StreamARN!), wizard.answers.name!) })));
    },
  });
  await chooseKmsKey(wizard, clock, producer, defaults.kmsAlias);
  await wizard.chooseNewOrExisting('functionName', 'useExistingFunction', {
    message: 'Consumer function:',
    create: `Deploy the bundled consumer (${defaults.functionName})`,
    created: `bundled, ${defaults.functionName}`,
    onlyChoice: `bundled, ${defaults.functionName} (the consumer account has none yet)`,
    existing: async () => (await listFunctions(clock, consumer.clients.lambda)).map((f): ExistingResource => ({ name: f.FunctionName! })),
  });
  await wizard.customise(customisations(defaults, wizard.answers.name!, clock));
}

/** A resource the wizard offers to use, and what a person should know before choosing it. */
interface ExistingResource {
  name: string;
  note?: string | undefined;
}

/**
 * A stream another deployment made is encrypted with that deployment's key: adopting it takes the key too
 * (an encrypted stream keeps its own key), so the choice says whose it is.
 */
function otherDeploymentNote(tags: Record<string, string>, deployment: string): string | undefined {
  const owner = tags[TAG_DEPLOYMENT];
  return owner !== undefined && owner !== deployment ? `made by deployment "${owner}"; its key comes too` : undefined;
}
