/**
 * The id each Terraform resource type is imported by, as the AWS provider documents it in the "Import"
 * section of the type's page (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/<type>):
 *
 * | type | documented import id | example in the provider docs |
 * |---|---|---|
 * | aws_kms_key | "KMS Keys using the `id`" | `1234abcd-12ab-34cd-56ef-1234567890ab` |
 * | aws_kms_alias | "KMS aliases using the `name`" | `alias/my-key-alias` |
 * | aws_kms_grant | "the Key ID and Grant ID separated by a colon (`:`)" | `1234abcd-…:abcde1237f76e4ba…` |
 * | aws_kinesis_stream | "Kinesis Streams using the `name`" | `terraform-kinesis-test` |
 * | aws_kinesis_stream_consumer | "using the Amazon Resource Name (ARN)" | `arn:aws:kinesis:us-west-2:123456789012:stream/example/consumer/example:1616044553` |
 * | aws_kinesis_resource_policy | "using the `resource_arn`" | `arn:aws:kinesis:us-west-2:123456789012:stream/example` |
 * | aws_iam_role | "IAM Roles using the `name`" | `developer_name` |
 * | aws_iam_role_policy | "using the `role_name:role_policy_name`" | `role_of_mypolicy_name:mypolicy_name` |
 * | aws_cloudwatch_log_group | "Cloudwatch Log Groups using the `name`" | `yada` |
 * | aws_sqs_queue | "using the queue `url`" | `https://queue.amazonaws.com/80398EXAMPLE/MyQueue` |
 * | aws_lambda_function | "Lambda Functions using the `function_name`" | `my_test_lambda_function` |
 * | aws_lambda_event_source_mapping | "using the `UUID` (event source mapping identifier)" | `12345kxodurf3443` |
 */
export const TERRAFORM_IMPORT_ID = {
  aws_kms_key: (keyId: string) => keyId,
  aws_kms_alias: (aliasName: string) => aliasName,
  aws_kms_grant: (keyId: string, grantId: string) => `${keyId}:${grantId}`,
  aws_kinesis_stream: (streamName: string) => streamName,
  aws_kinesis_stream_consumer: (consumerArn: string) => consumerArn,
  aws_kinesis_resource_policy: (resourceArn: string) => resourceArn,
  aws_iam_role: (roleName: string) => roleName,
  aws_iam_role_policy: (roleName: string, policyName: string) => `${roleName}:${policyName}`,
  aws_cloudwatch_log_group: (logGroupName: string) => logGroupName,
  aws_sqs_queue: (queueUrl: string) => queueUrl,
  aws_lambda_function: (functionName: string) => functionName,
  aws_lambda_event_source_mapping: (uuid: string) => uuid,
} as const;

export type TerraformType = keyof typeof TERRAFORM_IMPORT_ID;

/**
 * Each CloudFormation type's primary identifier (`primaryIdentifier` of its resource type schema): the keys of
 * the `ResourceIdentifier` a resource import takes (CloudFormation API reference, ResourceToImport: "The key is
 * an identifier property (for example, BucketName for AWS::S3::Bucket resources) and the value is the actual
 * property value").
 */
export const CLOUDFORMATION_PRIMARY_ID = {
  'AWS::KMS::Key': ['KeyId'],
  'AWS::KMS::Alias': ['AliasName'],
  'AWS::Kinesis::Stream': ['Name'],
  'AWS::Kinesis::StreamConsumer': ['ConsumerARN'],
  'AWS::Kinesis::ResourcePolicy': ['ResourceArn'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::RolePolicy': ['PolicyName', 'RoleName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::SQS::Queue': ['QueueUrl'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::Lambda::EventSourceMapping': ['Id'],
} as const;

export type CloudFormationType = keyof typeof CLOUDFORMATION_PRIMARY_ID;
