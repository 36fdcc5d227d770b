import type { CloudState, FakeCloud } from './fake-cloud.js';
import { Versioned } from './model.js';

/** Bumped when the encoding changes; an image from a newer version is refused rather than misread. */
const CLOUD_IMAGE_VERSION = 1;
const KIND = 'kds-xacct fake cloud';

/** A cloud's whole state as JSON-safe data (see `CloudState` for what that covers). */
export interface CloudImage {
  kind: typeof KIND;
  version: number;
  state: unknown;
}

export function cloudImage(cloud: FakeCloud): CloudImage {
  return { kind: KIND, version: CLOUD_IMAGE_VERSION, state: encodeValue(cloud.exportState()) };
}

/** Replaces the cloud's state with the image's. */
export function restoreCloudImage(cloud: FakeCloud, image: unknown): void {
  const i = image as Partial<CloudImage> | null;
  if (!i || typeof i !== 'object' || i.kind !== KIND || typeof i.version !== 'number') throw new Error('FakeCloud: this is not a saved fake cloud');
  if (i.version > CLOUD_IMAGE_VERSION) throw new Error(`FakeCloud: the saved cloud has format ${i.version}; this version reads up to ${CLOUD_IMAGE_VERSION}`);
  cloud.importState(decodeValue(i.state) as CloudState);
}

/*
 * The encoding is generic rather than a schema of the model, because the model keeps growing: JSON as it
 * is, plus single-key objects tagged with a `$` key for what JSON cannot hold (Map, Set, bigint, bytes,
 * dates, undefined, non-finite numbers, Versioned). Anything else, such as another class or a function,
 * fails loudly, and so does an object reachable twice, which would come back as two copies: a model change
 * that persistence cannot carry is found by the round-trip test, not by a sandbox user losing state.
 */

type Tagged = { $map: unknown[] } | { $set: unknown[] } | { $bigint: string } | { $bytes: string } | { $date: number } | { $undefined: true } | { $number: string } | { $versioned: unknown[] } | { $object: Record<string, unknown> };

export function encodeValue(value: unknown): unknown {
  const seen = new Map<object, string>();
  const encode = (v: unknown, path: string): unknown => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (Object.is(v, -0)) return { $number: '-0' } satisfies Tagged;
        return Number.isFinite(v) ? v : ({ $number: String(v) } satisfies Tagged);
      case 'bigint':
        return { $bigint: v.toString() } satisfies Tagged;
      case 'undefined':
        return { $undefined: true } satisfies Tagged;
      case 'object':
        break;
      default:
        throw new Error(`FakeCloud: cannot persist the ${typeof v} at ${path}`);
    }
    if (v === null) return null;
    const earlier = seen.get(v);
    if (earlier !== undefined) throw new Error(`FakeCloud: the same object is at ${earlier} and ${path}; persisting it would make two`);
    seen.set(v, path);
    if (Array.isArray(v)) return v.map((x, i) => encode(x, `${path}[${i}]`));
    if (v instanceof Map) return { $map: [...v].map(([k, x], i) => [encode(k, `${path}.keys[${i}]`), encode(x, `${path}.get(${String(k)})`)]) } satisfies Tagged;
    if (v instanceof Set) return { $set: [...v].map((x, i) => encode(x, `${path}.values[${i}]`)) } satisfies Tagged;
    if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } satisfies Tagged;
    if (v instanceof Date) return { $date: v.getTime() } satisfies Tagged;
    if (v instanceof Versioned) return { $versioned: v.writes.map((w, i) => encode(w, `${path}.writes[${i}]`)) } satisfies Tagged;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new Error(`FakeCloud: cannot persist the ${(v as object).constructor?.name ?? 'object'} at ${path}`);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encode(x, `${path}.${k}`);
    const keys = Object.keys(out);
    // A plain object that looks like a tag is wrapped, so that decoding cannot mistake it for one.
    return keys.length === 1 && keys[0]!.startsWith('$') ? ({ $object: out } satisfies Tagged) : out;
  };
  return encode(value, 'state');
}

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const entries = Object.entries(value as Record<string, unknown>);
  const [tag, body] = entries[0] ?? [];
  if (entries.length !== 1 || !tag?.startsWith('$')) return Object.fromEntries(entries.map(([k, x]) => [k, decodeValue(x)]));
  switch (tag) {
    case '$map':
      return new Map((body as Array<[unknown, unknown]>).map(([k, x]) => [decodeValue(k), decodeValue(x)]));
    case '$set':
      return new Set((body as unknown[]).map(decodeValue));
    case '$bigint':
      return BigInt(body as string);
    case '$bytes':
      return new Uint8Array(Buffer.from(body as string, 'base64'));
    case '$date':
      return new Date(body as number);
    case '$undefined':
      return undefined;
    case '$number':
      return Number(body);
    case '$versioned':
      return Versioned.fromWrites((body as unknown[]).map(decodeValue) as Array<{ value: unknown; at: number }>);
    case '$object':
      return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, x]) => [k, decodeValue(x)]));
    default:
      throw new Error(`FakeCloud: unknown tag ${tag} in a saved cloud`);
  }
}
