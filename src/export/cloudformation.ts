import { awsCommand } from '../aws/session.js';
import { CLOUDFORMATION_PRIMARY_ID, type CloudFormationType } from './import-ids.js';
import { FUNCTION_ZIP, adoptedEncryptionWarning, codeWarning, deployedCode, deploymentTitle, policyWarning, readmeClosing, type ExportFile, type ExportResult } from './output.js';
import type { DeploymentSnapshot, GrantSnapshot } from './snapshot.js';

type Json = string | number | boolean | Json[] | { [key: string]: Json };
type Role = 'producer' | 'consumer';

interface Parameter {
  description: string;
  default?: string;
}

interface ImportEntry {
  ResourceType: CloudFormationType;
  LogicalResourceId: string;
  ResourceIdentifier: Record<string, string>;
}

/** One template: the account it is deployed in, its parameters and resources, and what its import names. */
class Template {
  readonly parameters: Record<string, Parameter> = {};
  readonly resources: Record<string, Json> = {};
  readonly imports: ImportEntry[] = [];

  constructor(
    readonly file: string,
    readonly role: Role,
    readonly description: string,
  ) {}

  /** A parameter whose default is the live value, so the stack wires to what exists. Returns a Ref to it. */
  parameter(name: string, description: string, live?: string): Json {
    this.parameters[name] = { description, ...(live !== undefined && { default: live }) };
    return { Ref: name };
  }

  /**
   * A resource to import, kept when it leaves the stack: resource import requires a DeletionPolicy
   * (CloudFormation User Guide, "Bringing existing resources into CloudFormation management"), and Retain
   * on replacement too keeps a stack update from deleting what the deployment runs on.
   */
  resource(logicalId: string, type: CloudFormationType, properties: Record<string, Json | undefined>, identifier: Record<string, string>): Json {
    const defined = Object.fromEntries(Object.entries(properties).filter((e): e is [string, Json] => e[1] !== undefined));
    this.resources[logicalId] = { Type: type, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: defined };
    const keys = CLOUDFORMATION_PRIMARY_ID[type] as readonly string[];
    this.imports.push({ ResourceType: type, LogicalResourceId: logicalId, ResourceIdentifier: Object.fromEntries(keys.map((k) => [k, identifier[k]!])) });
    return { Ref: logicalId };
  }

  render(): string {
    const Parameters = Object.fromEntries(Object.entries(this.parameters).map(([name, p]) => [name, { Type: 'String', Description: p.description, ...(p.default !== undefined && { Default: p.default }) }]));
    return `${JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Description: this.description, ...(Object.keys(Parameters).length > 0 && { Parameters }), Resources: this.resources }, null, 2)}\n`;
  }
}

const cfnTags = (tags: Record<string, string>): Json | undefined => (Object.keys(tags).length > 0 ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : undefined);
const getAtt = (logicalId: string, attribute: string): Json => ({ 'Fn::GetAtt': [logicalId, attribute] });
const document = (json: string): Json => JSON.parse(json) as Json;
/** An account of the deployment as `awsCommand` names it, so that a printed command reaches that account. */
const accountOf = (s: DeploymentSnapshot, role: Role) => ({ role, profile: s[role].profile, region: s.region, simulated: s[role].simulated });
const consumerAccount = (s: DeploymentSnapshot) => accountOf(s, 'consumer');

/** The grant, as the key-policy statement CloudFormation can hold: the same principal, operations and encryption context. */
function grantStatement(grant: GrantSnapshot, principal: Json): Json {
  return {
    Sid: `KdsXacctGrant${grant.name.replace(/[^A-Za-z0-9]/g, '')}`,
    Effect: 'Allow',
    Principal: { AWS: principal },
    Action: grant.operations.map((op) => `kms:${op}`),
    Resource: '*',
    Condition: { StringEquals: Object.fromEntries(Object.entries(grant.encryptionContextSubset).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])) },
  };
}

function consumerTemplate(s: DeploymentSnapshot, codeWritten: boolean): Template {
  const t = new Template('1-consumer.json', 'consumer', `${deploymentTitle(s)}. 1 of 3, consumer account ${s.consumer.accountId}: the role the producer's key policy names, and the function.`);
  t.resource('ConsumerRole', 'AWS::IAM::Role', { RoleName: s.role.name, Path: s.role.path, Description: s.role.description, MaxSessionDuration: s.role.maxSessionDuration, AssumeRolePolicyDocument: document(s.role.assumeRolePolicy), Tags: cfnTags(s.role.tags) }, { RoleName: s.role.name });
  t.resource('ConsumerRolePolicy', 'AWS::IAM::RolePolicy', { RoleName: { Ref: 'ConsumerRole' }, PolicyName: s.rolePolicy.policyName, PolicyDocument: document(s.rolePolicy.document) }, { RoleName: s.rolePolicy.roleName, PolicyName: s.rolePolicy.policyName });
  if (s.logGroup?.origin === 'created') t.resource('FunctionLogGroup', 'AWS::Logs::LogGroup', { LogGroupName: s.logGroup.name, RetentionInDays: s.logGroup.retentionInDays, Tags: cfnTags(s.logGroup.tags) }, { LogGroupName: s.logGroup.name });
  if (s.queue?.origin === 'created') {
    const a = s.queue.attributes;
    t.resource(
      'FailedBatchesQueue',
      'AWS::SQS::Queue',
      {
        QueueName: s.queue.name,
        MessageRetentionPeriod: a.MessageRetentionPeriod ? Number(a.MessageRetentionPeriod) : undefined,
        VisibilityTimeout: a.VisibilityTimeout ? Number(a.VisibilityTimeout) : undefined,
        SqsManagedSseEnabled: a.SqsManagedSseEnabled ? a.SqsManagedSseEnabled === 'true' : undefined,
        KmsMasterKeyId: a.KmsMasterKeyId,
        Tags: cfnTags(s.queue.tags),
      },
      { QueueUrl: s.queue.url },
    );
  }
  if (s.fn.origin === 'created') {
    const bucket = t.parameter('CodeS3Bucket', `An S3 bucket in account ${s.consumer.accountId} and region ${s.region} holding ${FUNCTION_ZIP}${codeWritten ? ' (written beside this template)' : ''}: CloudFormation reads a function's code from S3.`);
    const key = t.parameter('CodeS3Key', `The key of ${FUNCTION_ZIP} in CodeS3Bucket.`, FUNCTION_ZIP);
    t.resource(
      'ConsumerFunction',
      'AWS::Lambda::Function',
      {
        FunctionName: s.fn.name,
        Role: getAtt('ConsumerRole', 'Arn'),
        Handler: s.fn.handler,
        Runtime: s.fn.runtime,
        MemorySize: s.fn.memorySize,
        Timeout: s.fn.timeout,
        Architectures: s.fn.architectures,
        Code: { S3Bucket: bucket, S3Key: key },
        Environment: Object.keys(s.fn.environment).length > 0 ? { Variables: s.fn.environment } : undefined,
        LoggingConfig: s.fn.logging ? { LogGroup: s.fn.logging.logGroup, LogFormat: s.fn.logging.logFormat } : undefined,
        Tags: cfnTags(s.fn.tags),
      },
      { FunctionName: s.fn.name },
    );
  }
  return t;
}

function producerTemplate(s: DeploymentSnapshot, warnings: string[]): Template {
  const t = new Template('2-producer.json', 'producer', `${deploymentTitle(s)}. 2 of 3, producer account ${s.producer.accountId}: key, stream, EFO consumer and resource policies. Deploy after 1-consumer.json: the key policy names its role.`);
  const roleArn = t.parameter('ConsumerRoleArn', `The consumer role of 1-consumer.json, in account ${s.consumer.accountId}.`, s.role.arn);
  let keyRef: Json;
  if (s.key.origin === 'created') {
    const policy = JSON.parse(s.key.policy) as { Statement: Json[] };
    const KeyPolicy = { ...policy, Statement: [...policy.Statement, grantStatement(s.grant, roleArn)] };
    t.resource('StreamKey', 'AWS::KMS::Key', { Description: s.key.description, KeyUsage: s.key.keyUsage, KeySpec: s.key.keySpec, MultiRegion: s.key.multiRegion, KeyPolicy, Tags: cfnTags(s.key.tags) }, { KeyId: s.key.keyId });
    keyRef = getAtt('StreamKey', 'Arn');
    if (s.key.alias) t.resource('StreamKeyAlias', 'AWS::KMS::Alias', { AliasName: s.key.alias, TargetKeyId: { Ref: 'StreamKey' } }, { AliasName: s.key.alias });
  } else {
    keyRef = t.parameter('StreamKeyArn', 'The KMS key that encrypts the stream: adopted by kds-xacct, not made by it, so not in this stack.', s.key.arn);
    warnings.push(
      `Key ${s.key.arn} was adopted, not made, by kds-xacct: its key policy is not kds-xacct's to rewrite, so the KMS grant ${s.grant.grantId} is left out of the templates and stays as it is. Should it ever be revoked, this puts it back: ${awsCommand(accountOf(s, 'producer'), `kms create-grant --key-id ${s.grant.keyId} --grantee-principal ${s.grant.granteePrincipal} --operations ${s.grant.operations.join(' ')} --constraints '${JSON.stringify({ EncryptionContextSubset: s.grant.encryptionContextSubset })}' --name ${s.grant.name}`)}`,
    );
  }
  const streamArn: Json =
    s.stream.origin === 'created'
      ? (t.resource(
          'Stream',
          'AWS::Kinesis::Stream',
          {
            Name: s.stream.name,
            RetentionPeriodHours: s.stream.retentionHours,
            ShardCount: s.stream.mode === 'PROVISIONED' ? s.stream.shardCount : undefined,
            StreamModeDetails: { StreamMode: s.stream.mode },
            StreamEncryption: s.stream.encryptionType === 'KMS' ? { EncryptionType: 'KMS', KeyId: s.stream.keyId === s.key.arn || s.stream.keyId === s.key.keyId ? keyRef : (s.stream.keyId ?? keyRef) } : undefined,
            Tags: cfnTags(s.stream.tags),
          },
          { Name: s.stream.name },
        ),
        getAtt('Stream', 'Arn'))
      : t.parameter('StreamArn', 'The stream: adopted by kds-xacct, not made by it, so not in this stack.', s.stream.arn);
  t.resource('EfoConsumer', 'AWS::Kinesis::StreamConsumer', { ConsumerName: s.consumerOfStream.name, StreamARN: streamArn }, { ConsumerARN: s.consumerOfStream.arn });
  t.resource('StreamPolicy', 'AWS::Kinesis::ResourcePolicy', { ResourceArn: streamArn, ResourcePolicy: document(s.streamPolicy.document) }, { ResourceArn: s.streamPolicy.resourceArn });
  t.resource('EfoConsumerPolicy', 'AWS::Kinesis::ResourcePolicy', { ResourceArn: getAtt('EfoConsumer', 'ConsumerARN'), ResourcePolicy: document(s.consumerPolicy.document) }, { ResourceArn: s.consumerPolicy.resourceArn });
  return t;
}

function mappingTemplate(s: DeploymentSnapshot): Template {
  const t = new Template('3-consumer-mapping.json', 'consumer', `${deploymentTitle(s)}. 3 of 3, consumer account ${s.consumer.accountId}: the event source mapping. Deploy after 2-producer.json: it reads through the EFO consumer.`);
  const source = t.parameter('EfoConsumerArn', 'The EFO consumer of 2-producer.json.', s.consumerOfStream.arn);
  const fn = t.parameter('FunctionArn', s.fn.origin === 'created' ? 'The function of 1-consumer.json.' : 'The function: adopted by kds-xacct, not made by it, so in no stack.', s.fn.arn);
  const m = s.mapping;
  const destination = m.onFailureDestination ? t.parameter('OnFailureDestinationArn', 'Where Lambda sends the record of a batch it gives up on.', m.onFailureDestination) : undefined;
  t.resource(
    'EfoMapping',
    'AWS::Lambda::EventSourceMapping',
    {
      EventSourceArn: source,
      FunctionName: fn,
      StartingPosition: m.startingPosition,
      BatchSize: m.batchSize,
      MaximumBatchingWindowInSeconds: m.maximumBatchingWindowInSeconds,
      MaximumRetryAttempts: m.maximumRetryAttempts,
      MaximumRecordAgeInSeconds: m.maximumRecordAgeInSeconds,
      BisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
      ParallelizationFactor: m.parallelizationFactor,
      FunctionResponseTypes: m.functionResponseTypes.length > 0 ? m.functionResponseTypes : undefined,
      Enabled: m.enabled,
      DestinationConfig: destination ? { OnFailure: { Destination: destination } } : undefined,
    },
    { Id: m.uuid },
  );
  return t;
}

function resourceCount(t: Template): string {
  const n = Object.keys(t.resources).length;
  return `${n} resource${n === 1 ? '' : 's'}`;
}

function stackName(s: DeploymentSnapshot, t: Template): string {
  return `kds-xacct-${s.name}-${t.file.replace(/^\d-|\.json$/g, '')}`;
}

/** The two calls that import a template's resources into a new stack: create the IMPORT change set, then execute it. */
function importCommands(s: DeploymentSnapshot, t: Template): string[] {
  const account = accountOf(s, t.role);
  const parameters = t.parameters.CodeS3Bucket ? ' --parameters ParameterKey=CodeS3Bucket,ParameterValue="$CODE_BUCKET"' : '';
  // A stack that holds a named IAM role must be acknowledged as such (CAPABILITY_NAMED_IAM).
  const capabilities = Object.values(t.resources).some((r) => (r as { Type: string }).Type.startsWith('AWS::IAM::')) ? ' --capabilities CAPABILITY_NAMED_IAM' : '';
  const stack = stackName(s, t);
  return [
    awsCommand(account, `cloudformation create-change-set --stack-name ${stack} --change-set-name import --change-set-type IMPORT --template-body file://${t.file} --resources-to-import file://${t.file.replace(/\.json$/, '.import.json')}${parameters}${capabilities}`),
    awsCommand(account, `cloudformation execute-change-set --stack-name ${stack} --change-set-name import`),
  ];
}

function readme(s: DeploymentSnapshot, templates: Template[], warnings: string[]): string {
  const adopted = [s.key, s.stream, s.logGroup, s.queue, s.fn].filter((r) => r?.origin === 'adopted').map((r) => `- ${'name' in r! ? r.name : r!.arn}: adopted by kds-xacct, not made by it, so a parameter, never a resource a stack could delete.`);
  return [
    `# ${deploymentTitle(s)}`,
    '',
    'Written by `kds-xacct export --format cloudformation` from what AWS returned at export time. Each template belongs to one account; import them in this order, each into a new stack, with the `.import.json` beside it (CloudFormation User Guide, "Bringing existing resources into CloudFormation management"):',
    '',
    ...templates.flatMap((t, i) => [`${i + 1}. \`${t.file}\` (${t.role} account ${s[t.role].accountId}): ${resourceCount(t)} to import.`, '', '   ```sh', ...importCommands(s, t).map((c) => `   ${c}`), '   ```', '']),
    `Every resource has \`DeletionPolicy: Retain\` and \`UpdateReplacePolicy: Retain\`. Parameters default to the live values.`,
    ...(s.fn.origin === 'created' ? ['', `A function's code comes from S3: set \`CODE_BUCKET\` to a bucket of the consumer account in ${s.region}, and upload the code first:`, '', '```sh', awsCommand(consumerAccount(s), `s3 cp ${FUNCTION_ZIP} "s3://$CODE_BUCKET/${FUNCTION_ZIP}"`), '```'] : []),
    '',
    '## The KMS grant',
    '',
    s.key.origin === 'created'
      ? `CloudFormation has no resource for a KMS grant, so 2-producer.json holds it as a statement of the key policy: the same principal, operations and encryption context. An import changes no property, so the statement is written by the first update of that stack; once it is, the grant ${s.grant.grantId} may be revoked.`
      : 'The key was adopted: see the warning below.',
    '',
    ...readmeClosing(adopted.length > 0 ? adopted : ['- Nothing was adopted: every resource is in a template.'], warnings),
  ].join('\n');
}

/** Ordered CloudFormation templates per account that import a deployment, with their resources-to-import files and a README. */
export async function renderCloudFormation(s: DeploymentSnapshot): Promise<ExportResult> {
  const code = await deployedCode(s);
  const warnings = [policyWarning('stream policy', s.streamPolicy), policyWarning('consumer policy', s.consumerPolicy)];
  if (s.fn.origin === 'created' && !code) warnings.push(codeWarning(s));
  if (s.encryptionStartedByUs) warnings.push(adoptedEncryptionWarning(s));
  const templates = [consumerTemplate(s, code !== undefined), producerTemplate(s, warnings), mappingTemplate(s)];
  const files: ExportFile[] = templates.flatMap((t) => [
    { path: t.file, content: t.render() },
    { path: t.file.replace(/\.json$/, '.import.json'), content: `${JSON.stringify(t.imports, null, 2)}\n` },
  ]);
  if (code) files.push({ path: FUNCTION_ZIP, content: code });
  files.push({ path: 'README.md', content: readme(s, templates, warnings) });
  return { files, warnings, imports: templates.reduce((n, t) => n + t.imports.length, 0) };
}
