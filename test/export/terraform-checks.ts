import { parse } from '@cdktf/hcl2json';
import { expect } from 'vitest';
import type { ExportResult } from '../../src/export/output.js';
import schemaJson from './fixtures/aws-provider-schema.json' with { type: 'json' };

type Schema = { [argument: string]: Schema | null };
const SCHEMA = schemaJson as unknown as { resource: Record<string, Schema>; data: Record<string, Schema> };
/** Terraform's meta-arguments, which every resource and data block takes besides its own. */
const META = new Set(['provider', 'depends_on', 'count', 'for_each', 'lifecycle']);

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ARN_KINESIS = 'arn:aws:kinesis:[a-z0-9-]+:\\d{12}:stream/[A-Za-z0-9_.-]+';
/** The documented import id of each type (src/export/import-ids.ts quotes the provider docs), as a pattern. */
const IMPORT_ID: Record<string, RegExp> = {
  aws_kms_key: new RegExp(`^(${UUID}|mrk-[0-9a-f]{32})$`),
  aws_kms_alias: /^alias\/[A-Za-z0-9/_-]+$/,
  aws_kms_grant: new RegExp(`^(${UUID}|mrk-[0-9a-f]{32}):[0-9a-f]{64}$`),
  aws_kinesis_stream: /^[A-Za-z0-9_.-]{1,128}$/,
  aws_kinesis_stream_consumer: new RegExp(`^${ARN_KINESIS}/consumer/[A-Za-z0-9_.-]+:\\d+$`),
  aws_kinesis_resource_policy: new RegExp(`^${ARN_KINESIS}(/consumer/[A-Za-z0-9_.-]+:\\d+)?$`),
  aws_iam_role: /^[\w+=,.@-]{1,64}$/,
  aws_iam_role_policy: /^[\w+=,.@-]{1,64}:[\w+=,.@-]{1,128}$/,
  aws_cloudwatch_log_group: /^[.\-_/#A-Za-z0-9]{1,512}$/,
  aws_sqs_queue: /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com\/\d{12}\/[\w-]{1,80}$/,
  aws_lambda_function: /^[\w-]{1,64}$/,
  aws_lambda_event_source_mapping: new RegExp(`^${UUID}$`),
};

/** Every argument of a block (hcl2json: nested blocks are arrays of objects) is in the provider's schema. */
function argumentsUnknown(body: Record<string, unknown>, schema: Schema, where: string): string[] {
  return Object.entries(body).flatMap(([arg, value]) => {
    if (META.has(arg)) return [];
    if (!(arg in schema)) return [`${where}.${arg}`];
    const nested = schema[arg];
    if (nested && Array.isArray(value)) return value.flatMap((b: Record<string, unknown>) => argumentsUnknown(b, nested, `${where}.${arg}`));
    return [];
  });
}

export interface ParsedTerraform {
  resources: Array<{ type: string; name: string; body: Record<string, unknown> }>;
  data: Array<{ type: string; name: string }>;
  imports: Array<{ to: string; id: string; provider: string }>;
}

/** Parses every .tf file as HCL2 and checks types, arguments and import ids against the provider's own. */
export async function checkTerraform(result: ExportResult): Promise<ParsedTerraform> {
  const parsed: ParsedTerraform = { resources: [], data: [], imports: [] };
  const unknown: string[] = [];
  for (const file of result.files.filter((f) => f.path.endsWith('.tf'))) {
    const json = (await parse(file.path, file.content as string)) as Record<string, Record<string, Record<string, Array<Record<string, unknown>>>> | Array<Record<string, string>>>;
    for (const [kind, list] of [['resource', SCHEMA.resource], ['data', SCHEMA.data]] as const) {
      for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Array<Record<string, unknown>>>>)) {
        if (!list[type]) unknown.push(`${kind} type ${type}`);
        for (const [name, bodies] of Object.entries(byName)) {
          unknown.push(...argumentsUnknown(bodies[0]!, list[type] ?? {}, `${type}.${name}`));
          if (kind === 'resource') parsed.resources.push({ type, name, body: bodies[0]! });
          else parsed.data.push({ type, name });
        }
      }
    }
    for (const block of (json.import ?? []) as Array<Record<string, string>>) parsed.imports.push({ to: block.to!.replace(/^\$\{(.*)\}$/, '$1'), id: block.id!, provider: block.provider!.replace(/^\$\{(.*)\}$/, '$1') });
  }
  expect(unknown).toEqual([]);
  for (const i of parsed.imports) {
    const type = i.to.split('.')[0]!;
    expect(i.id, `${i.to}`).toMatch(IMPORT_ID[type]!);
  }
  expect(parsed.imports.map((i) => i.to).sort()).toEqual(parsed.resources.map((r) => `${r.type}.${r.name}`).sort());
  return parsed;
}
