/**
 * Error responses as AWS really returns them, each quoted from a public source with its code and HTTP status.
 * The tests hold every matcher of the product (the retries and diagnoses that read an error's code or text) to
 * these texts, and the sandbox words its errors with the templates here, each of which reproduces its quoted
 * example (test/sandbox/aws-error-texts.test.ts). Like aws-requirements.ts, the product may not import it: a
 * matcher written against our own wording would otherwise pass against our own wording.
 */

export interface AwsErrorText {
  service: 'Lambda' | 'Kinesis' | 'KMS';
  operation: string;
  code: string;
  status: number;
  /** The message exactly as the source quotes it (account ids and names as masked there). */
  example: string;
  /** Where it is quoted: the page, or the repository and issue. */
  source: string;
}

export const LAMBDA_ROLE_NOT_ASSUMABLE = {
  service: 'Lambda',
  operation: 'CreateFunction',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'The role defined for the function cannot be assumed by Lambda.',
  source: 'hashicorp/terraform-provider-aws#44517 (a new role refused for over 5 minutes); AWS Lambda Developer Guide, "Troubleshoot deployment issues in Lambda"',
  text: () => 'The role defined for the function cannot be assumed by Lambda.',
} as const satisfies AwsErrorText & { text: () => string };

export const LAMBDA_UPDATE_IN_PROGRESS = {
  service: 'Lambda',
  operation: 'UpdateFunctionConfiguration',
  code: 'ResourceConflictException',
  status: 409,
  example: 'The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:my-function',
  source: 'claudiajs/claudia#226; rackerlabs/lambda-uploader#169',
  text: (functionArn: string) => `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn}`,
} as const satisfies AwsErrorText & { text: (functionArn: string) => string };

export const LAMBDA_CANNOT_ACCESS_STREAM = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'Cannot access stream arn:aws:kinesis:eu-west-1:*****:stream/*****. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM.',
  source: 'aws-samples/cross-account-amazon-dynamodb-replication#11 ("Service: Lambda, Status Code: 400"); the older wording without ListShards in alertlogic/cwe-collector#2',
  text: (streamArn: string) => `Cannot access stream ${streamArn}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM.`,
} as const satisfies AwsErrorText & { text: (streamArn: string) => string };

/** The same refusal in the words used before ListShards was required. */
export const LAMBDA_CANNOT_ACCESS_STREAM_OLDER: AwsErrorText = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'Cannot access stream arn:aws:kinesis:eu-west-1:352283894008:stream/aturkin-3-KinesisStream-7AI56KZMQ3AL. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.',
  source: 'alertlogic/cwe-collector#2',
};

export const LAMBDA_MAPPING_EXISTS = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'ResourceConflictException',
  status: 409,
  example: 'The event source arn (arn:aws:kinesis:us-east-1:108206174331:stream/jazz20171210-events-hub-dev) and function (jazz20171210-hndlr-dev) provided mapping already exists. Please update or delete the existing mapping with UUID 106257e3-ec6a-4fb2-af2d-f26f163a603d',
  source: 'tmobile/jazz#74 (a Kinesis source); the status, 409, and the SQS wording in DataBiosphere/azul#3399',
  text: (eventSourceArn: string, functionName: string, uuid: string) =>
    `The event source arn (${eventSourceArn}) and function (${functionName}) provided mapping already exists. Please update or delete the existing mapping with UUID ${uuid}`,
} as const satisfies AwsErrorText & { text: (eventSourceArn: string, functionName: string, uuid: string) => string };

/** The same conflict for an SQS source, as Lambda words it now. */
export const LAMBDA_MAPPING_EXISTS_SQS: AwsErrorText = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'ResourceConflictException',
  status: 409,
  example: 'An event source mapping with SQS arn (" arn:aws:sqs:us-east-1:542754589326:azul-tallies_retry-prod.fifo ") and function (" azul-indexer-prod-aggregate_retry ") already exists. Please update or delete the existing mapping with UUID 2bac96f9-a36e-4017-a5a4-aa977086a2b6',
  source: 'DataBiosphere/azul#3399',
};

export const LAMBDA_FUNCTION_NOT_FOUND: AwsErrorText = {
  service: 'Lambda',
  operation: 'CreateEventSourceMapping',
  code: 'InvalidParameterValueException',
  status: 400,
  example: 'Function does not exist',
  source: 'hashicorp/terraform-provider-aws#17933 (StatusCode 400)',
};

export const KINESIS_RATE_EXCEEDED_FOR_STREAM: AwsErrorText = {
  service: 'Kinesis',
  operation: 'DescribeStream',
  code: 'LimitExceededException',
  status: 400,
  example: 'Rate exceeded for stream request_counters_temp under account XXXXXXXX.',
  source: 'boto/botocore#821 (the response body); the status in awslabs/amazon-kinesis-scaling-utils#52',
};

export const KINESIS_RATE_EXCEEDED_FOR_ACCOUNT = {
  service: 'Kinesis',
  operation: 'ListStreams',
  code: 'LimitExceededException',
  status: 400,
  example: 'Rate exceeded for account 943582610889.',
  source: 'Graylog2/graylog-plugin-integrations#341 ("Service: Kinesis, Status Code: 400")',
  text: (accountId: string) => `Rate exceeded for account ${accountId}.`,
} as const satisfies AwsErrorText & { text: (accountId: string) => string };

export const KINESIS_RATE_EXCEEDED_FOR_SHARD: AwsErrorText = {
  service: 'Kinesis',
  operation: 'GetRecords',
  code: 'ProvisionedThroughputExceededException',
  status: 400,
  example: 'Rate exceeded for shard shardId-000000000000 in stream xxxxxx under account xxxxxxxxx.',
  source: 'rclark/kinesis-readable#4 (statusCode 400)',
};

/**
 * A quota, not throttling: the same code as a rate. Quoted from kinesalite, which reproduces AWS's wording; AWS's
 * own response for it was not found quoted.
 */
export const KINESIS_SHARD_QUOTA: AwsErrorText = {
  service: 'Kinesis',
  operation: 'CreateStream',
  code: 'LimitExceededException',
  status: 400,
  example: 'This request would exceed the shard limit for the account 000000000000 in us-east-1. Current shard count for the account: 4. Limit: 3. Number of additional shards that would have resulted from this request: 1.',
  source: 'mhart/kinesalite#72 (the emulator\'s copy of the message)',
};

export const KINESIS_CONSUMER_NOT_ACTIVE = {
  service: 'Kinesis',
  operation: 'PutResourcePolicy',
  code: 'ResourceInUseException',
  status: 400,
  example: 'Consumer my-consumer with creation timestamp 1700000000 under stream my-stream and account 123456789012 is not in ACTIVE status.',
  source: 'aws-cloudformation/cloudformation-coverage-roadmap#2442 (names and numbers replaced)',
  text: (consumerName: string, creationEpochSeconds: number, streamName: string, accountId: string) =>
    `Consumer ${consumerName} with creation timestamp ${creationEpochSeconds} under stream ${streamName} and account ${accountId} is not in ACTIVE status.`,
} as const satisfies AwsErrorText & { text: (consumerName: string, creationEpochSeconds: number, streamName: string, accountId: string) => string };

export const KMS_INVALID_PRINCIPAL = {
  service: 'KMS',
  operation: 'CreateGrant',
  code: 'InvalidArnException',
  status: 400,
  example: 'ARN does not refer to a valid principal: arn:aws:iam::123456789012:role/my-new-role',
  source: 'hashicorp/terraform-provider-aws#3038 (retried while "a newly created IAM Role doesn\'t show up"); the message as Lambda relays it ("KMS Exception: InvalidArnException KMS Message: ARN does not refer to a valid principal: arn:…")',
  text: (principalArn: string) => `ARN does not refer to a valid principal: ${principalArn}`,
} as const satisfies AwsErrorText & { text: (principalArn: string) => string };

export const KINESIS_KMS_ACCESS_DENIED = {
  service: 'Kinesis',
  operation: 'GetRecords',
  code: 'KMSAccessDeniedException',
  status: 400,
  example: 'User arn:aws:sts::123456789012:assumed-role/reader/session is not authorized to decrypt records in stream arn:aws:kinesis:us-east-1:123456789012:stream/my-stream.',
  source: 'spring-cloud/spring-cloud-stream-binder-aws-kinesis#188 (names replaced)',
  text: (principalArn: string, streamArn: string) => `User ${principalArn} is not authorized to decrypt records in stream ${streamArn}.`,
} as const satisfies AwsErrorText & { text: (principalArn: string, streamArn: string) => string };

/**
 * What Lambda reports in an event source mapping's LastProcessingResult and StateTransitionReason: not an error
 * response (no code, no HTTP status) but a field of GetEventSourceMapping, read by the product's diagnosis
 * (src/pipeline/mapping-signals.ts).
 */
export interface MappingReportText {
  field: 'LastProcessingResult' | 'StateTransitionReason';
  /** The value exactly as the source quotes it (account ids and names as masked there). */
  example: string;
  /** Where it is quoted; a value put together from two sources says so. */
  source: string;
}

export const MAPPING_FUNCTION_CALL_FAILED: MappingReportText = {
  field: 'LastProcessingResult',
  example: 'PROBLEM: Function call failed',
  source: 'AWS Lambda Developer Guide, "Using AWS Lambda with Amazon Kinesis" (the update-event-source-mapping and get-event-source-mapping examples)',
};

export const MAPPING_NO_RECORDS_PROCESSED: MappingReportText = {
  field: 'LastProcessingResult',
  example: 'No records processed',
  source: 'AWS Lambda Developer Guide, "Using AWS Lambda with Amazon Kinesis" (the create-event-source-mapping example)',
};

export const MAPPING_CHANGED_BY_USER: MappingReportText = {
  field: 'StateTransitionReason',
  example: 'User action',
  source: 'AWS Lambda Developer Guide, "Using AWS Lambda with Amazon Kinesis" (every example)',
};

/** Lambda disabling a mapping itself: the codes the guide lists for the event sources it documents them for. */
export const MAPPING_DISABLED_BY_LAMBDA: MappingReportText = {
  field: 'StateTransitionReason',
  example: 'EVENT_SOURCE_AUTHZ_ERROR',
  source: 'AWS Lambda Developer Guide, "Troubleshoot Amazon MQ event source mapping errors" (ESM_CONFIG_NOT_VALID, EVENT_SOURCE_AUTHN_ERROR, EVENT_SOURCE_AUTHZ_ERROR, FUNCTION_CONFIG_NOT_VALID)',
};

/**
 * A read Kinesis refuses: IAM's denial for the role's session, relayed after "PROBLEM: ". Kinesis puts the
 * mapping's records behind the same check at every read, so a policy changed after CreateEventSourceMapping
 * shows here, not as "Cannot access stream".
 */
export const MAPPING_READ_DENIED = {
  field: 'LastProcessingResult',
  example: 'PROBLEM: User: arn:aws:sts::xxx:assumed-role/big-mouth-dev-notify-restaurant-us-east-1-lambdaRole/awslambda_783_20180222015150438 is not authorized to perform: kinesis:DescribeStream on resource: arn:aws:kinesis:us-east-1:xxx:stream/order-events',
  source: 'functionalone/serverless-iam-roles-per-function#3 (as the Lambda console shows it)',
  /** The text after "PROBLEM: ", the part the sandbox's reads give back. */
  text: (sessionArn: string, action: string, resourceArn: string) => `User: ${sessionArn} is not authorized to perform: ${action} on resource: ${resourceArn}`,
} as const satisfies MappingReportText & { text: (sessionArn: string, action: string, resourceArn: string) => string };

/**
 * The same refusal for an EFO consumer. Put together: Kinesis's denial of DescribeStreamConsumer as quoted in
 * aws/aws-cdk#22184 (a KCL consumer; "xxx" is the caller there), in the framing of MAPPING_READ_DENIED.
 */
export const MAPPING_CONSUMER_READ_DENIED: MappingReportText = {
  field: 'LastProcessingResult',
  example: 'PROBLEM: User: xxx is not authorized to perform: kinesis:DescribeStreamConsumer on resource: arn:aws:kinesis:ap-southeast-2:00000000:stream/my-application/consumer/my-consumer',
  source: 'aws/aws-cdk#22184 (the Kinesis text), functionalone/serverless-iam-roles-per-function#3 (the framing)',
};

/**
 * Kinesis refusing to decrypt for the role. Put together: Kinesis's KMSAccessDeniedException (KINESIS_KMS_ACCESS_DENIED)
 * after "PROBLEM: " and its code; Lambda's own wording of this case was not found quoted.
 */
export const MAPPING_DECRYPT_DENIED: MappingReportText = {
  field: 'LastProcessingResult',
  example: `PROBLEM: ${KINESIS_KMS_ACCESS_DENIED.code}: ${KINESIS_KMS_ACCESS_DENIED.example}`,
  source: 'spring-cloud/spring-cloud-stream-binder-aws-kinesis#188 (the Kinesis text), AWS Lambda Developer Guide, "Using AWS Lambda with Amazon Kinesis" (the "PROBLEM: " framing)',
};

/** Every mapping report, for the tests that hold the diagnosis to them. */
export const MAPPING_REPORT_TEXTS: readonly MappingReportText[] = [
  MAPPING_FUNCTION_CALL_FAILED,
  MAPPING_NO_RECORDS_PROCESSED,
  MAPPING_CHANGED_BY_USER,
  MAPPING_DISABLED_BY_LAMBDA,
  MAPPING_READ_DENIED,
  MAPPING_CONSUMER_READ_DENIED,
  MAPPING_DECRYPT_DENIED,
];

/**
 * Errors raised on the client before or instead of an AWS answer, and STS's answers to credentials it rejects:
 * what the product's connection diagnosis (src/aws/connect-errors.ts, src/aws/unreachable.ts) reads. The SDK's
 * texts are quoted from the installed packages (their version named), Node's and STS's from public reports.
 */
export interface ClientErrorText {
  /** The thrown error's `name`: the SDK's error class, the STS error code, or Node's plain `Error`. */
  name: string;
  /** A Node system error's `code` (ENOTFOUND, ECONNREFUSED…). */
  code?: string;
  /** The HTTP status of an STS answer, where the source gives it. */
  status?: number;
  /** The message exactly as the source has it; a profile called `dev` where the source has a template. */
  example: string;
  /** The other properties of the thrown error, as the source shows them. */
  fields?: Readonly<Record<string, string | number>>;
  source: string;
}

const SSO_PROVIDER = '@aws-sdk/credential-provider-sso 3.973.30, dist-cjs/index.js (resolveSSOCredentials)';
const TOKEN_PROVIDERS = '@aws-sdk/token-providers 3.1177.0, dist-cjs/index.js';

export const SSO_SESSION_EXPIRED: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.',
  source: SSO_PROVIDER,
};

export const SSO_SESSION_INVALID: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'The SSO session associated with this profile is invalid. To refresh this SSO session run aws sso login with the corresponding profile.',
  source: SSO_PROVIDER,
};

export const SSO_TOKEN_EXPIRED: ClientErrorText = {
  name: 'TokenProviderError',
  example: "Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
  source: `${TOKEN_PROVIDERS} (validateTokenExpiry)`,
};

export const SSO_TOKEN_NOT_FOUND: ClientErrorText = {
  name: 'TokenProviderError',
  example: "The SSO session token associated with profile=dev was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
  source: `${TOKEN_PROVIDERS} (fromSso)`,
};

export const SSO_TOKEN_FIELD_MISSING: ClientErrorText = {
  name: 'TokenProviderError',
  example: "Value not present for 'accessToken' in SSO Token. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
  source: `${TOKEN_PROVIDERS} (validateTokenKey)`,
};

export const NO_CREDENTIAL_PROVIDER: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'Could not load credentials from any providers',
  source: '@aws-sdk/credential-provider-node 3.972.99, dist-cjs/index.js (defaultProvider)',
};

export const PROFILE_UNRESOLVED: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'Could not resolve credentials using profile: [dev] in configuration/credentials file(s).',
  source: '@aws-sdk/credential-provider-ini 3.973.32, dist-cjs/index.js (resolveProfileData)',
};

export const PROFILE_NOT_FOUND_FOR_TOKEN: ClientErrorText = {
  name: 'TokenProviderError',
  example: "Profile 'dev' could not be found in shared credentials file.",
  source: `${TOKEN_PROVIDERS} (fromSso)`,
};

export const PROFILE_NOT_FOUND_FOR_PROCESS: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'Profile dev could not be found in shared credentials file.',
  source: '@aws-sdk/credential-provider-process 3.972.86, dist-cjs/index.js (resolveProcessCredentials)',
};

export const CREDENTIAL_PROCESS_EXPIRED: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'Profile dev credential_process returned expired credentials.',
  source: '@aws-sdk/credential-provider-process 3.972.86, dist-cjs/index.js (getValidatedProcessCredentials, rethrown as a CredentialsProviderError)',
};

export const MFA_CODE_NEEDED: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'Profile dev requires multi-factor authentication, but no MFA code callback was provided.',
  source: '@aws-sdk/credential-provider-ini 3.973.32, dist-cjs/index.js (resolveAssumeRoleCredentials)',
};

export const LOGIN_SESSION_EXPIRED: ClientErrorText = {
  name: 'CredentialsProviderError',
  example: 'Failed to load a token for session dev-session, please re-authenticate using aws login',
  source: '@aws-sdk/credential-provider-login 3.972.94, dist-cjs/index.js (LoginCredentialsFetcher.loadCredentials)',
};

export const STS_EXPIRED_TOKEN: ClientErrorText = {
  name: 'ExpiredToken',
  example: 'The security token included in the request is expired',
  source: 'miquella/vaulted#107 ("An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: …")',
};

export const STS_INVALID_CLIENT_TOKEN: ClientErrorText = {
  name: 'InvalidClientTokenId',
  status: 403,
  example: 'The security token included in the request is invalid',
  source: 'aws-azure-login/aws-azure-login#251 (the STS response body of GetCallerIdentity, "403")',
};

export const NODE_HOST_NOT_FOUND: ClientErrorText = {
  name: 'Error',
  code: 'ENOTFOUND',
  example: 'getaddrinfo ENOTFOUND sts.eu.amazonaws.com',
  fields: { errno: -3008, syscall: 'getaddrinfo', hostname: 'sts.eu.amazonaws.com' },
  source: 'bizon/selling-partner-api-sdk#672 (an STS call of the SDK v3)',
};

export const NODE_CONNECTION_REFUSED: ClientErrorText = {
  name: 'Error',
  code: 'ECONNREFUSED',
  example: 'connect ECONNREFUSED ::1:4566',
  fields: { errno: -61, syscall: 'connect', address: '::1', port: 4566 },
  source: 'localstack/localstack#7487 (a client of the SDK v3 against a local endpoint)',
};

/** Every client-side error, for the tests that hold the connection diagnosis to them. */
export const CLIENT_ERROR_TEXTS: readonly ClientErrorText[] = [
  SSO_SESSION_EXPIRED,
  SSO_SESSION_INVALID,
  SSO_TOKEN_EXPIRED,
  SSO_TOKEN_NOT_FOUND,
  SSO_TOKEN_FIELD_MISSING,
  NO_CREDENTIAL_PROVIDER,
  PROFILE_UNRESOLVED,
  PROFILE_NOT_FOUND_FOR_TOKEN,
  PROFILE_NOT_FOUND_FOR_PROCESS,
  CREDENTIAL_PROCESS_EXPIRED,
  MFA_CODE_NEEDED,
  LOGIN_SESSION_EXPIRED,
  STS_EXPIRED_TOKEN,
  STS_INVALID_CLIENT_TOKEN,
  NODE_HOST_NOT_FOUND,
  NODE_CONNECTION_REFUSED,
];

/**
 * Lines of a Node.js function's log group as Lambda and its Node.js runtime write them, in the text and the JSON
 * log format (LoggingConfig.LogFormat): what the product's log reading (src/logs/record-lines.ts) must tell apart.
 * `failure` says whether the line reports one.
 */
export interface LambdaLogLine {
  format: 'Text' | 'JSON';
  failure: boolean;
  example: string;
  source: string;
}

const NODE_LOGGING_GUIDE = 'AWS Lambda Developer Guide, "AWS Lambda function logging in Node.js" (the example log format)';
const NODE_RUNTIME = 'aws/aws-lambda-nodejs-runtime-interface-client src/LogPatch.js';

export const LOG_START: LambdaLogLine = { format: 'Text', failure: false, example: 'START RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac Version: $LATEST', source: NODE_LOGGING_GUIDE };

export const LOG_WARN: LambdaLogLine = {
  format: 'Text',
  failure: false,
  example: '2019-06-07T19:11:20.564Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tWARN\tEvent not processed.',
  source: `${NODE_LOGGING_GUIDE}; the tabs and the line's form: ${NODE_RUNTIME} (logTextToStdout)`,
};

export const LOG_END: LambdaLogLine = { format: 'Text', failure: false, example: 'END RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac', source: NODE_LOGGING_GUIDE };

export const LOG_REPORT: LambdaLogLine = {
  format: 'Text',
  failure: false,
  example: 'REPORT RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac\tDuration: 128.83 ms\tBilled Duration: 200 ms\tMemory Size: 128 MB\tMax Memory Used: 74 MB\tInit Duration: 166.62 ms\tXRAY TraceId: 1-5d9d007f-0a8c7fd02xmpl480aed55ef0\tSegmentId: 3d752xmpl1bbe37e\tSampled: true',
  source: NODE_LOGGING_GUIDE,
};

/** A handler's error in the text format: the runtime's logError("Invoke Error", err), its error as Errors.toFormatted gives it. */
export const LOG_INVOKE_ERROR: LambdaLogLine = {
  format: 'Text',
  failure: true,
  example: '2023-09-25T12:00:00.000Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tERROR\tInvoke Error \t{"errorType":"SyntaxError","errorMessage":"user syntax error","code":123,"stack":["SyntaxError: user syntax error","    at handler (/var/task/index.mjs:3:9)"]}',
  source: `${NODE_RUNTIME} (textErrorLogger), src/Errors.js (toFormatted); put together, with the error of the runtime's own LogPatch test`,
};

export const LOG_JSON_INFO: LambdaLogLine = {
  format: 'JSON',
  failure: false,
  example: '{"timestamp":"2023-09-25T12:00:00.000Z","level":"INFO","requestId":"structured logging request id","message":"custom serialized"}',
  source: 'aws/aws-lambda-nodejs-runtime-interface-client test/unit/LogPatchTest.js (formatJsonMessage)',
};

export const LOG_JSON_INVOKE_ERROR: LambdaLogLine = {
  format: 'JSON',
  failure: true,
  example: '{"timestamp":"2023-09-25T12:00:00.000Z","level":"ERROR","requestId":"structured logging request id","message":{"errorType":"SyntaxError","errorMessage":"user syntax error","stackTrace":["SyntaxError: user syntax error","    at handler (/var/task/index.mjs:3:9)"],"code":123}}',
  source: 'aws/aws-lambda-nodejs-runtime-interface-client test/unit/LogPatchTest.js ("structuredConsole.logError() output should not be stringified in JSON mode"; the stack trace shortened)',
};

/** Lambda's own REPORT line in the JSON log format: a platform.report event. */
export const LOG_JSON_REPORT: LambdaLogLine = {
  format: 'JSON',
  failure: false,
  example: '{"time":"2022-10-12T00:01:15.000Z","type":"platform.report","record":{"metrics":{"billedDurationMs":694,"durationMs":693.92,"initDurationMs":397.68,"maxMemoryUsedMB":84,"memorySizeMB":128},"requestId":"6d68ca91-49c9-448d-89b8-7ca3e6dc66aa"}}',
  source: 'AWS Lambda Developer Guide, "Lambda Telemetry API Event schema reference" (platform.report; the JSON log format\'s system logs have this schema: "Configuring JSON and plain text log formats")',
};

export const LAMBDA_LOG_LINES: readonly LambdaLogLine[] = [LOG_START, LOG_WARN, LOG_END, LOG_REPORT, LOG_INVOKE_ERROR, LOG_JSON_INFO, LOG_JSON_INVOKE_ERROR, LOG_JSON_REPORT];

/** Every entry, for the tests that check each has a source. */
export const AWS_ERROR_TEXTS: readonly AwsErrorText[] = [
  LAMBDA_ROLE_NOT_ASSUMABLE,
  LAMBDA_UPDATE_IN_PROGRESS,
  LAMBDA_CANNOT_ACCESS_STREAM,
  LAMBDA_CANNOT_ACCESS_STREAM_OLDER,
  LAMBDA_MAPPING_EXISTS,
  LAMBDA_MAPPING_EXISTS_SQS,
  LAMBDA_FUNCTION_NOT_FOUND,
  KINESIS_RATE_EXCEEDED_FOR_STREAM,
  KINESIS_RATE_EXCEEDED_FOR_ACCOUNT,
  KINESIS_RATE_EXCEEDED_FOR_SHARD,
  KINESIS_SHARD_QUOTA,
  KINESIS_CONSUMER_NOT_ACTIVE,
  KMS_INVALID_PRINCIPAL,
  KINESIS_KMS_ACCESS_DENIED,
];
