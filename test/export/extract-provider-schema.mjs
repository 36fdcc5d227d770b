#!/usr/bin/env node
/**
 * Writes fixtures/aws-provider-schema.json: the arguments and nested blocks of the Terraform AWS provider
 * resource and data source types that `export --format terraform` writes, taken from the prebuilt provider
 * bindings on npm (@cdktf/provider-aws, MPL-2.0), whose doc comments link every argument to its anchor on
 * the provider's registry page. That package is 411 MB installed, too large to be a dev dependency for
 * twelve types, so it is installed aside once and only this excerpt is kept:
 *
 *   npm install --prefix /tmp/provider-aws @cdktf/provider-aws@21.22.1 --ignore-scripts
 *   node test/export/extract-provider-schema.mjs /tmp/provider-aws/node_modules/@cdktf/provider-aws
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TYPES = {
  resource: ['kms_key', 'kms_alias', 'kms_grant', 'kinesis_stream', 'kinesis_stream_consumer', 'kinesis_resource_policy', 'iam_role', 'iam_role_policy', 'cloudwatch_log_group', 'sqs_queue', 'lambda_function', 'lambda_event_source_mapping'],
  data: ['kms_key', 'kinesis_stream', 'cloudwatch_log_group', 'sqs_queue', 'lambda_function'],
};

/** Each interface of a binding file: its Terraform arguments, each with the interface of its nested block, if any. */
function interfaces(source) {
  const found = {};
  for (const match of source.matchAll(/export interface (\w+)[^{]*\{([\s\S]*?)\n\}/g)) {
    const members = {};
    for (const m of match[2].matchAll(/\{@link \S+#(\w+) \w+#\w+\}(?:(?!readonly)[\s\S])*?\*\/\s*readonly \w+\??: (\w+|\{)/g)) members[m[1]] = m[2];
    found[match[1]] = members;
  }
  return found;
}

function resolve(all, name) {
  return Object.fromEntries(Object.entries(all[name]).map(([arg, type]) => [arg, all[type] ? resolve(all, type) : null]));
}

const root = process.argv[2];
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const schema = { source: `@cdktf/provider-aws@${version}`, resource: {}, data: {} };
for (const [kind, names] of Object.entries(TYPES)) {
  for (const name of names) {
    const dir = (kind === 'data' ? `data-aws-${name}` : name).replace(/_/g, '-');
    const source = readFileSync(path.join(root, 'lib', dir, 'index.d.ts'), 'utf8');
    const all = interfaces(source);
    const config = Object.keys(all).find((n) => n.endsWith('Config') && source.includes(`export interface ${n} extends cdktf.TerraformMetaArguments`));
    schema[kind][`aws_${name}`] = resolve(all, config);
  }
}
writeFileSync(new URL('./fixtures/aws-provider-schema.json', import.meta.url), `${JSON.stringify(schema, null, 1)}\n`);
