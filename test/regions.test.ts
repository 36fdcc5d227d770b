import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARTITION_REGION_PATTERNS, isPartitionRegion } from '../src/regions.js';

/** The SDK's own partition data (partitions.json, bundled in @aws-sdk/core's util-endpoints, not exported). */
function sdkPartitions(): Array<{ id: string; regionRegex: string; regions: Record<string, unknown> }> {
  const core = path.dirname(createRequire(import.meta.url).resolve('@aws-sdk/core/package.json'));
  const source = readFileSync(path.join(core, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js'), 'utf8');
  const json = source.slice(source.indexOf('{'), source.lastIndexOf('}') + 1);
  return (JSON.parse(json) as { partitions: Array<{ id: string; regionRegex: string; regions: Record<string, unknown> }> }).partitions;
}

describe('the regions of the AWS partitions', () => {
  it("are the SDK's partition patterns, each of them", () => {
    expect(PARTITION_REGION_PATTERNS.map((pattern) => pattern.source)).toEqual(sdkPartitions().map((p) => new RegExp(p.regionRegex).source));
  });

  it('take every region the SDK lists, and a region opened later that follows a pattern', () => {
    const listed = sdkPartitions().flatMap((p) => Object.keys(p.regions).filter((name) => !name.startsWith('aws-')));
    expect(listed.length).toBeGreaterThan(30);
    expect(listed.filter((name) => !isPartitionRegion(name))).toEqual([]);
    expect(isPartitionRegion('eu-north-7')).toBe(true);
  });

  it('refuse a name no partition has', () => {
    for (const name of ['mars-1', 'eu west 1', 'xx-south-1', 'euwest1', 'eu-west', 'EU-WEST-1']) expect(isPartitionRegion(name), name).toBe(false);
  });
});
