/**
 * A small HCL2 writer for the values the Terraform export needs: strings, numbers, booleans, lists, maps,
 * references and nested blocks. Strings are escaped so that Terraform reads back exactly what AWS returned.
 */

/** An expression written as is, e.g. `aws_kinesis_stream.stream.arn` or `var.producer_profile`. */
export interface HclExpr {
  expr: string;
}

/** A nested block, e.g. `stream_mode_details { ... }`. */
export interface HclBlock {
  block: HclBody;
}

export type HclValue = string | number | boolean | HclExpr | HclBlock | HclValue[] | { [key: string]: HclValue };
export type HclBody = Record<string, HclValue | undefined>;

export const expr = (text: string): HclExpr => ({ expr: text });
export const block = (body: HclBody): HclBlock => ({ block: body });

const isExpr = (v: HclValue): v is HclExpr => typeof v === 'object' && !Array.isArray(v) && 'expr' in v && Object.keys(v).length === 1;
const isBlock = (v: HclValue): v is HclBlock => typeof v === 'object' && !Array.isArray(v) && 'block' in v && Object.keys(v).length === 1;

/** A quoted HCL string: `${` and `%{` start templates in HCL, so they are doubled to stay literal. */
export function hclString(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, '$${')
    .replace(/%\{/g, '%%{');
  return `"${escaped}"`;
}

/** A JSON document (a policy) as a heredoc, pretty-printed; Terraform compares policies by meaning, not layout. */
export function jsonHeredoc(json: string): HclExpr {
  const pretty = JSON.stringify(JSON.parse(json), null, 2).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
  return expr(`<<-EOT\n${pretty}\nEOT`);
}

function value(v: HclValue, indent: string): string {
  if (typeof v === 'string') return hclString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (isExpr(v)) return v.expr;
  if (Array.isArray(v)) return `[${v.map((item) => value(item, indent)).join(', ')}]`;
  if (isBlock(v)) throw new Error('A block cannot be a value.');
  const inner = `${indent}  `;
  const entries = Object.entries(v).map(([k, item]) => `${inner}${hclString(k)} = ${value(item, inner)}`);
  return entries.length === 0 ? '{}' : `{\n${entries.join('\n')}\n${indent}}`;
}

/** The body of a block: attributes aligned as `terraform fmt` would leave them, then nested blocks. */
export function body(b: HclBody, indent = '  '): string {
  const entries = Object.entries(b).filter((e): e is [string, HclValue] => e[1] !== undefined);
  const attributes = entries.filter(([, v]) => !isBlock(v));
  const width = Math.max(0, ...attributes.map(([k]) => k.length));
  const lines = attributes.map(([k, v]) => `${indent}${k.padEnd(width)} = ${value(v, indent)}`);
  for (const [k, v] of entries) {
    if (isBlock(v)) lines.push(`${indent}${k} {\n${body(v.block, `${indent}  `)}\n${indent}}`);
  }
  return lines.join('\n');
}

/** A top-level block, e.g. `resource "aws_kms_key" "stream" { ... }`. */
export function topBlock(kind: string, labels: string[], b: HclBody): string {
  return `${kind} ${labels.map(hclString).join(' ')} {\n${body(b)}\n}\n`;
}
