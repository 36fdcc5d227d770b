/**
 * The region names of each AWS partition, as the SDK's partition data gives them (`regionRegex` in
 * partitions.json, which @aws-sdk/core's util-endpoints bundles but does not export): aws, aws-cn,
 * aws-eusc, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-us-gov. A name none of them matches has no
 * endpoint: the SDK would still send the call to `<service>.<name>.amazonaws.com`, which no DNS
 * resolves. Patterns rather than a list, so that a region opened after this release works.
 * test/regions.test.ts keeps them equal to the SDK's.
 */
export const PARTITION_REGION_PATTERNS: readonly RegExp[] = [
  /^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$/,
  /^cn\-\w+\-\d+$/,
  /^eusc\-(de)\-\w+\-\d+$/,
  /^us\-iso\-\w+\-\d+$/,
  /^us\-isob\-\w+\-\d+$/,
  /^eu\-isoe\-\w+\-\d+$/,
  /^us\-isof\-\w+\-\d+$/,
  /^us\-gov\-\w+\-\d+$/,
];

/** Whether some AWS partition has a region of this name. */
export function isPartitionRegion(name: string): boolean {
  return PARTITION_REGION_PATTERNS.some((pattern) => pattern.test(name));
}
