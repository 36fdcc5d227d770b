import { unzipSync, strFromU8 } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDLER_FILE, HANDLER_NAME, buildHandlerZip, codeSha256 } from '../../src/pipeline/bundle.js';
import { HANDLER_SOURCE } from '../../src/pipeline/handler/source.js';

const originalTz = process.env['TZ'];
afterEach(() => {
  if (originalTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = originalTz;
});

describe('buildHandlerZip', () => {
  it('holds exactly index.mjs with the handler source', async () => {
    const files = unzipSync(await buildHandlerZip());
    expect(Object.keys(files)).toEqual(['index.mjs']);
    expect(strFromU8(files['index.mjs']!)).toBe(HANDLER_SOURCE);
    expect(HANDLER_FILE).toBe('index.mjs');
    expect(HANDLER_NAME).toBe('index.handler');
  });

  it('is byte-for-byte the same on every build, so CodeSha256 can be compared', async () => {
    const a = await buildHandlerZip();
    const b = await buildHandlerZip();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(codeSha256(a)).toBe(codeSha256(b));
    expect(codeSha256(a)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('does not depend on the time zone', async () => {
    process.env['TZ'] = 'Pacific/Kiritimati';
    const east = await buildHandlerZip();
    process.env['TZ'] = 'America/Los_Angeles';
    const west = await buildHandlerZip();
    expect(codeSha256(east)).toBe(codeSha256(west));
  });

  it('marks index.mjs as a regular Unix file readable by all (mode 0644)', async () => {
    const zip = Buffer.from(await buildHandlerZip());
    // Central directory header: signature PK\x01\x02, "version made by" host at +5, external attributes at +38.
    const header = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    expect(header).toBeGreaterThan(0);
    expect(zip[header + 5]).toBe(3);
    expect(zip.readUInt32LE(header + 38) >>> 16).toBe(0o100644);
  });

  it('is small enough for a direct upload', async () => {
    expect((await buildHandlerZip()).byteLength).toBeLessThan(50 * 1024 * 1024);
  });
});
