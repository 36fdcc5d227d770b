import { block, expr, jsonHeredoc, topBlock, type HclBody, type HclValue } from './hcl.js';
import { TERRAFORM_IMPORT_ID, type TerraformType } from './import-ids.js';
import { FUNCTION_ZIP, adoptedEncryptionWarning, codeWarning, deployedCode, deploymentTitle, policyWarning, readmeClosing, type ExportFile, type ExportResult } from './output.js';
import type { DeploymentSnapshot } from './snapshot.js';

type Provider = 'producer' | 'consumer';

/** One resource the configuration owns, with the live id its import block names. */
interface OwnedResource {
  type: TerraformType;
  name: string;
  provider: Provider;
  body: HclBody;
  importId: string;
}

/** One adopted resource, read through a data source so that no `destroy` can delete it. */
interface ReadResource {
  type: string;
  name: string;
  provider: Provider;
  body: HclBody;
}

class Configuration {
  readonly owned: OwnedResource[] = [];
  readonly read: ReadResource[] = [];

  own(type: TerraformType, name: string, provider: Provider, body: HclBody, importId: string): string {
    this.owned.push({ type, name, provider, body, importId });
    return `${type}.${name}`;
  }

  refer(type: string, name: string, provider: Provider, body: HclBody): string {
    this.read.push({ type, name, provider, body });
    return `data.${type}.${name}`;
  }
}

const providerRef = (p: Provider) => expr(`aws.${p}`);
const withoutEmpty = (tags: Record<string, string>) => (Object.keys(tags).length > 0 ? tags : undefined);

function producerSide(tf: Configuration, s: DeploymentSnapshot): { key: string; stream: string; consumer: string } {
  const key =
    s.key.origin === 'created'
      ? tf.own('aws_kms_key', 'stream', 'producer', { description: s.key.description, key_usage: s.key.keyUsage, customer_master_key_spec: s.key.keySpec, multi_region: s.key.multiRegion, policy: jsonHeredoc(s.key.policy), tags: withoutEmpty(s.key.tags) }, TERRAFORM_IMPORT_ID.aws_kms_key(s.key.keyId))
      : tf.refer('aws_kms_key', 'stream', 'producer', { key_id: s.key.arn });
  if (s.key.origin === 'created' && s.key.alias) {
    tf.own('aws_kms_alias', 'stream', 'producer', { name: s.key.alias, target_key_id: expr(`${key}.key_id`) }, TERRAFORM_IMPORT_ID.aws_kms_alias(s.key.alias));
  }
  const stream =
    s.stream.origin === 'created'
      ? tf.own(
          'aws_kinesis_stream',
          'stream',
          'producer',
          {
            name: s.stream.name,
            retention_period: s.stream.retentionHours,
            shard_count: s.stream.mode === 'PROVISIONED' ? s.stream.shardCount : undefined,
            encryption_type: s.stream.encryptionType,
            kms_key_id: s.stream.keyId,
            tags: withoutEmpty(s.stream.tags),
            stream_mode_details: block({ stream_mode: s.stream.mode }),
          },
          TERRAFORM_IMPORT_ID.aws_kinesis_stream(s.stream.name),
        )
      : tf.refer('aws_kinesis_stream', 'stream', 'producer', { name: s.stream.name });
  const consumer = tf.own('aws_kinesis_stream_consumer', 'efo', 'producer', { name: s.consumerOfStream.name, stream_arn: expr(`${stream}.arn`) }, TERRAFORM_IMPORT_ID.aws_kinesis_stream_consumer(s.consumerOfStream.arn));
  tf.own('aws_kinesis_resource_policy', 'stream', 'producer', { resource_arn: expr(`${stream}.arn`), policy: jsonHeredoc(s.streamPolicy.document) }, TERRAFORM_IMPORT_ID.aws_kinesis_resource_policy(s.streamPolicy.resourceArn));
  tf.own('aws_kinesis_resource_policy', 'efo', 'producer', { resource_arn: expr(`${consumer}.arn`), policy: jsonHeredoc(s.consumerPolicy.document) }, TERRAFORM_IMPORT_ID.aws_kinesis_resource_policy(s.consumerPolicy.resourceArn));
  return { key, stream, consumer };
}

function consumerSide(tf: Configuration, s: DeploymentSnapshot, producer: { key: string; consumer: string }, codeWritten: boolean): void {
  const role = tf.own(
    'aws_iam_role',
    'consumer',
    'consumer',
    { name: s.role.name, path: s.role.path, description: s.role.description, max_session_duration: s.role.maxSessionDuration, assume_role_policy: jsonHeredoc(s.role.assumeRolePolicy), tags: withoutEmpty(s.role.tags) },
    TERRAFORM_IMPORT_ID.aws_iam_role(s.role.name),
  );
  tf.own('aws_iam_role_policy', 'consumer', 'consumer', { name: s.rolePolicy.policyName, role: expr(`${role}.name`), policy: jsonHeredoc(s.rolePolicy.document) }, TERRAFORM_IMPORT_ID.aws_iam_role_policy(s.rolePolicy.roleName, s.rolePolicy.policyName));
  tf.own(
    'aws_kms_grant',
    'consumer',
    'producer',
    {
      name: s.grant.name || undefined,
      key_id: s.grant.keyId,
      grantee_principal: expr(`${role}.arn`),
      operations: s.grant.operations,
      constraints: block({ encryption_context_subset: s.grant.encryptionContextSubset }),
    },
    TERRAFORM_IMPORT_ID.aws_kms_grant(s.grant.keyId, s.grant.grantId),
  );
  if (s.logGroup) {
    if (s.logGroup.origin === 'created') tf.own('aws_cloudwatch_log_group', 'function', 'consumer', { name: s.logGroup.name, retention_in_days: s.logGroup.retentionInDays, tags: withoutEmpty(s.logGroup.tags) }, TERRAFORM_IMPORT_ID.aws_cloudwatch_log_group(s.logGroup.name));
    else tf.refer('aws_cloudwatch_log_group', 'function', 'consumer', { name: s.logGroup.name });
  }
  let destination: HclValue | undefined = s.mapping.onFailureDestination;
  if (s.queue) {
    const a = s.queue.attributes;
    const queue =
      s.queue.origin === 'created'
        ? tf.own(
            'aws_sqs_queue',
            'failed_batches',
            'consumer',
            {
              name: s.queue.name,
              message_retention_seconds: a.MessageRetentionPeriod ? Number(a.MessageRetentionPeriod) : undefined,
              visibility_timeout_seconds: a.VisibilityTimeout ? Number(a.VisibilityTimeout) : undefined,
              sqs_managed_sse_enabled: a.SqsManagedSseEnabled ? a.SqsManagedSseEnabled === 'true' : undefined,
              kms_master_key_id: a.KmsMasterKeyId,
              tags: withoutEmpty(s.queue.tags),
            },
            TERRAFORM_IMPORT_ID.aws_sqs_queue(s.queue.url),
          )
        : tf.refer('aws_sqs_queue', 'failed_batches', 'consumer', { name: s.queue.name });
    if (destination === s.queue.arn) destination = expr(`${queue}.arn`);
  }
  const fn =
    s.fn.origin === 'created'
      ? tf.own(
          'aws_lambda_function',
          'consumer',
          'consumer',
          {
            function_name: s.fn.name,
            role: expr(`${role}.arn`),
            handler: s.fn.handler,
            runtime: s.fn.runtime,
            memory_size: s.fn.memorySize,
            timeout: s.fn.timeout,
            architectures: s.fn.architectures,
            filename: FUNCTION_ZIP,
            // The zip beside this file holds the deployed bytes, so this is the CodeSha256 Lambda reports.
            source_code_hash: codeWritten ? expr(`filebase64sha256("${FUNCTION_ZIP}")`) : s.fn.codeSha256,
            tags: withoutEmpty(s.fn.tags),
            environment: Object.keys(s.fn.environment).length > 0 ? block({ variables: s.fn.environment }) : undefined,
            logging_config: s.fn.logging ? block({ log_format: s.fn.logging.logFormat, log_group: s.fn.logging.logGroup }) : undefined,
          },
          TERRAFORM_IMPORT_ID.aws_lambda_function(s.fn.name),
        )
      : tf.refer('aws_lambda_function', 'consumer', 'consumer', { function_name: s.fn.name });
  tf.own(
    'aws_lambda_event_source_mapping',
    'efo',
    'consumer',
    {
      event_source_arn: expr(`${producer.consumer}.arn`),
      function_name: expr(`${fn}.arn`),
      starting_position: s.mapping.startingPosition,
      batch_size: s.mapping.batchSize,
      maximum_batching_window_in_seconds: s.mapping.maximumBatchingWindowInSeconds,
      maximum_retry_attempts: s.mapping.maximumRetryAttempts,
      maximum_record_age_in_seconds: s.mapping.maximumRecordAgeInSeconds,
      bisect_batch_on_function_error: s.mapping.bisectBatchOnFunctionError,
      parallelization_factor: s.mapping.parallelizationFactor,
      function_response_types: s.mapping.functionResponseTypes,
      enabled: s.mapping.enabled,
      destination_config: destination ? block({ on_failure: block({ destination_arn: destination }) }) : undefined,
    },
    TERRAFORM_IMPORT_ID.aws_lambda_event_source_mapping(s.mapping.uuid),
  );
}

function providersFile(s: DeploymentSnapshot): string {
  const parts = [
    topBlock('terraform', [], { required_version: '>= 1.5.0', required_providers: block({ aws: { source: 'hashicorp/aws', version: '>= 5.0' } }) }),
  ];
  for (const role of ['producer', 'consumer'] as const) {
    parts.push(topBlock('variable', [`${role}_profile`], { description: `The AWS CLI profile for the ${role} account (${s[role].accountId})`, type: expr('string'), default: s[role].profile }));
  }
  for (const role of ['producer', 'consumer'] as const) {
    parts.push(topBlock('provider', ['aws'], { alias: role, region: s.region, profile: expr(`var.${role}_profile`), allowed_account_ids: [s[role].accountId] }));
  }
  return parts.join('\n');
}

function resourcesFile(tf: Configuration, provider: Provider): string {
  const data = tf.read.filter((r) => r.provider === provider).map((r) => topBlock('data', [r.type, r.name], { provider: providerRef(provider), ...r.body }));
  const owned = tf.owned.filter((r) => r.provider === provider).map((r) => topBlock('resource', [r.type, r.name], { provider: providerRef(provider), ...r.body }));
  return [...data, ...owned].join('\n');
}

function importsFile(tf: Configuration): string {
  return tf.owned.map((r) => topBlock('import', [], { provider: providerRef(r.provider), to: expr(`${r.type}.${r.name}`), id: r.importId })).join('\n');
}

function readme(s: DeploymentSnapshot, tf: Configuration, warnings: string[]): string {
  const adopted = tf.read.map((r) => `- \`data.${r.type}.${r.name}\` (${r.provider} account): adopted by kds-xacct, not made by it, so it is read, never owned.`);
  return [
    `# ${deploymentTitle(s)}`,
    '',
    'Written by `kds-xacct export --format terraform` from what AWS returned at export time. It adopts the deployment: nothing is created.',
    '',
    '```sh',
    'terraform init',
    'terraform plan',
    '```',
    '',
    `Expect \`Plan: ${tf.owned.length} to import, 0 to add, 0 to change, 0 to destroy.\` A change in the plan is drift: something changed in AWS since the export, or a default differs. Then \`terraform apply\` records the imports in your state. The profiles are variables (\`producer_profile\`, \`consumer_profile\`); each provider may only reach its own account (\`allowed_account_ids\`).`,
    '',
    ...readmeClosing(
      [
        ...(adopted.length > 0 ? adopted : ['- Nothing was adopted: every resource is owned by this code.']),
        ...(s.encryptionStartedByUs ? [`- The encryption kds-xacct turned on for the adopted stream ${s.stream.name}: the stream is not this code's, so neither is its encryption setting.`] : []),
      ],
      warnings,
    ),
  ].join('\n');
}

/** The Terraform configuration that adopts a deployment: providers, resources per account, import blocks, the function's code and a README. */
export async function renderTerraform(s: DeploymentSnapshot): Promise<ExportResult> {
  const tf = new Configuration();
  const code = await deployedCode(s);
  const producer = producerSide(tf, s);
  consumerSide(tf, s, producer, code !== undefined);
  const warnings = [policyWarning('stream policy', s.streamPolicy), policyWarning('consumer policy', s.consumerPolicy)];
  if (s.fn.origin === 'created' && !code) warnings.push(codeWarning(s));
  if (s.encryptionStartedByUs) warnings.push(adoptedEncryptionWarning(s));
  const files: ExportFile[] = [
    { path: 'providers.tf', content: providersFile(s) },
    { path: 'producer.tf', content: resourcesFile(tf, 'producer') },
    { path: 'consumer.tf', content: resourcesFile(tf, 'consumer') },
    { path: 'imports.tf', content: importsFile(tf) },
    ...(code ? [{ path: FUNCTION_ZIP, content: code }] : []),
  ];
  files.push({ path: 'README.md', content: readme(s, tf, warnings) });
  return { files, warnings, imports: tf.owned.length };
}
