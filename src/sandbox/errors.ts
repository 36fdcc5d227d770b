import * as cw from '@aws-sdk/client-cloudwatch';
import * as cwl from '@aws-sdk/client-cloudwatch-logs';
import * as iam from '@aws-sdk/client-iam';
import * as kinesis from '@aws-sdk/client-kinesis';
import * as kms from '@aws-sdk/client-kms';
import * as lambda from '@aws-sdk/client-lambda';
import * as s3 from '@aws-sdk/client-s3';
import * as sns from '@aws-sdk/client-sns';
import * as sqs from '@aws-sdk/client-sqs';
import * as sts from '@aws-sdk/client-sts';
import { KINESIS_RATE_EXCEEDED_FOR_ACCOUNT } from './aws-error-texts.js';

export type ServiceName = 'Kinesis' | 'KMS' | 'IAM' | 'Lambda' | 'CloudWatchLogs' | 'SQS' | 'STS' | 'SNS' | 'S3' | 'CloudWatch';

interface ServiceErrors {
  module: Record<string, unknown>;
  base: new (opts: any) => Error;
  /** The error a 5xx from this service deserialises to. */
  internal: string;
  /**
   * Its text: Lambda's as public reports quote it (mentum/lambdaws#49, brefphp/bref#239); for the others, the
   * description their API reference (or SDK model) gives the error, since they were not found quoted.
   */
  internalMessage: string;
  /** The error this service refuses a caller without the permission with: an error no retry gets past. */
  denied: string;
  /** The error this service throttles with. */
  throttling: string;
}

const unknownFailure = 'The request processing has failed because of an unknown error, exception or failure.';

const services: Record<ServiceName, ServiceErrors> = {
  Kinesis: { module: kinesis, base: kinesis.KinesisServiceException, internal: 'InternalFailureException', internalMessage: 'The processing of the request failed because of an unknown error, exception, or failure.', denied: 'AccessDeniedException', throttling: 'LimitExceededException' },
  KMS: { module: kms, base: kms.KMSServiceException, internal: 'KMSInternalException', internalMessage: 'The request was rejected because an internal exception occurred. The request can be retried.', denied: 'AccessDeniedException', throttling: 'ThrottlingException' },
  IAM: { module: iam, base: iam.IAMServiceException, internal: 'ServiceFailureException', internalMessage: unknownFailure, denied: 'AccessDenied', throttling: 'Throttling' },
  Lambda: { module: lambda, base: lambda.LambdaServiceException, internal: 'ServiceException', internalMessage: 'An error occurred and the request cannot be processed.', denied: 'AccessDeniedException', throttling: 'TooManyRequestsException' },
  CloudWatchLogs: { module: cwl, base: cwl.CloudWatchLogsServiceException, internal: 'ServiceUnavailableException', internalMessage: 'The service cannot complete the request.', denied: 'AccessDeniedException', throttling: 'ThrottlingException' },
  SQS: { module: sqs, base: sqs.SQSServiceException, internal: 'InternalError', internalMessage: unknownFailure, denied: 'AccessDenied', throttling: 'RequestThrottled' },
  STS: { module: sts, base: sts.STSServiceException, internal: 'InternalFailure', internalMessage: unknownFailure, denied: 'AccessDenied', throttling: 'Throttling' },
  SNS: { module: sns, base: sns.SNSServiceException, internal: 'InternalErrorException', internalMessage: 'Indicates an internal service error.', denied: 'AuthorizationErrorException', throttling: 'ThrottledException' },
  S3: { module: s3, base: s3.S3ServiceException, internal: 'InternalError', internalMessage: 'We encountered an internal error. Please try again.', denied: 'AccessDenied', throttling: 'SlowDown' },
  CloudWatch: { module: cw, base: cw.CloudWatchServiceException, internal: 'InternalServiceFault', internalMessage: 'Request processing has failed due to some unknown error, exception, or failure.', denied: 'AccessDenied', throttling: 'Throttling' },
};

/** Codes that are server faults even when the SDK has no class for them. */
const serverCodes = new Set(['InternalFailure', 'InternalFailureException', 'ServiceUnavailable', 'ServiceUnavailableException', 'ServiceFailureException', 'ServiceException', 'KMSInternalException', 'InternalServerException', 'InternalError', 'InternalErrorException', 'InternalServiceFault']);
const throttlingCodes = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'LimitExceededException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'RequestThrottled', 'ThrottledException', 'SlowDown']);

/**
 * Builds the error the real SDK would throw for `code`: the modelled exception class when the client
 * package has one (so `instanceof ResourceNotFoundException` and `error.name` both work), otherwise the
 * service's base exception with that name, as the SDK does for unmodelled error codes.
 */
export function awsError(service: ServiceName, code: string, message: string): Error {
  const s = services[service];
  const server = serverCodes.has(code);
  const status = server ? (code.startsWith('ServiceUnavailable') ? 503 : 500) : throttlingCodes.has(code) ? (service === 'Lambda' ? 429 : 400) : code.startsWith('AccessDenied') ? 403 : 400;
  const $metadata = { httpStatusCode: status, requestId: 'fake-request-id', attempts: 1, totalRetryDelay: 0 };
  const Cls = s.module[code];
  if (typeof Cls === 'function' && (Cls as { prototype: unknown }).prototype instanceof s.base) {
    const err = new (Cls as new (opts: any) => Error)({ message, $metadata });
    // Several SDK exception classes keep the service's capitalised `Message` as well.
    return err;
  }
  return new s.base({ name: code, $fault: server ? 'server' : 'client', message, $metadata });
}

/** The service's 5xx, as the SDK deserialises it: its class, `$fault: 'server'`, status 500 (503 for ServiceUnavailable). */
export function serverError(service: ServiceName): Error {
  return awsError(service, services[service].internal, services[service].internalMessage);
}

export function accessDeniedCode(service: ServiceName): string {
  return services[service].denied;
}

/** Kinesis's text is AWS's (aws-error-texts.ts); the others' "Rate exceeded" is a guess (README). */
export function throttlingError(service: ServiceName, accountId: string): Error {
  const code = services[service].throttling;
  const message = service === 'Kinesis' ? KINESIS_RATE_EXCEEDED_FOR_ACCOUNT.text(accountId) : 'Rate exceeded';
  return awsError(service, code, message);
}
