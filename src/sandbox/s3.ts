import { S3Client } from '@aws-sdk/client-s3';
import type { Cloud, ServiceModel } from './context.js';
import { awsError } from './errors.js';
import type { Bucket, RegionState } from './model.js';

/**
 * S3 as far as a failure destination needs it: a bucket is seeded with its default encryption
 * (FakeCloud.seedBucket), setup reads it with GetBucketEncryption, and Lambda writes the record of a
 * discarded batch to it (delivery.ts). Every other S3 call fails loudly.
 */
const err = (code: string, message: string): Error => awsError('S3', code, message);

export function bucketsOf(rs: RegionState): Map<string, Bucket> {
  return (rs.buckets ??= new Map());
}

/** Bucket names are global: the bucket of that name in whichever account and region holds it. */
export function findBucket(cloud: Cloud, name: string): Bucket | undefined {
  for (const account of cloud.accounts.values()) {
    for (const rs of account.regions.values()) {
      const bucket = rs.buckets?.get(name);
      if (bucket) return bucket;
    }
  }
  return undefined;
}

export const s3Model: ServiceModel = {
  service: 'S3',
  client: S3Client,
  operations: {
    GetBucketEncryption: {
      mutating: false,
      run(ctx, input) {
        const bucket = findBucket(ctx.cloud, input.Bucket ?? '');
        if (!bucket) throw err('NoSuchBucket', 'The specified bucket does not exist');
        // The API reference: a bucket of another owner than ExpectedBucketOwner fails with 403 Access Denied; the
        // callers here are each account's admin, and the model keeps no bucket policy for other accounts.
        if (bucket.accountId !== ctx.accountId || (input.ExpectedBucketOwner !== undefined && input.ExpectedBucketOwner !== bucket.accountId)) {
          throw err('AccessDenied', 'Access Denied');
        }
        return {
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { ...bucket.encryption }, BucketKeyEnabled: bucket.bucketKeyEnabled }],
          },
        };
      },
    },
  },
};
