import { createHash } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import { HANDLER_SOURCE } from './handler/source.js';

/** The file name inside the zip; `.mjs` makes Node load it as ESM. */
export const HANDLER_FILE = 'index.mjs';
/** The Lambda `Handler` setting for the bundled function. */
export const HANDLER_NAME = 'index.handler';
/** Same as {@link HANDLER_NAME}; the name the steps import. */

/** The bundled consumer handler, zipped in memory as `index.mjs`, byte-for-byte reproducible. */
export async function buildHandlerZip(): Promise<Uint8Array> {
  // A fixed time makes the zip, and so Lambda's CodeSha256, the same on every run: a
  // re-run compares hashes instead of updating the code. fflate writes the DOS time from
  // local-time getters, so the date is built in local time, on each call (the time zone
  // can change while the process runs): the bytes then never depend on the time zone.
  // Noon keeps clear of any midnight DST switch.
  const FIXED_MTIME = new Date(2020, 0, 1, 12, 0, 0);
  return zipSync(
    {
      [HANDLER_FILE]: [
        strToU8(HANDLER_SOURCE),
        // A regular file with Unix mode 0644: Lambda must be able to read it.
        { level: 9, mtime: FIXED_MTIME, os: 3, attrs: (0o100644 << 16) >>> 0 },
      ],
    },
    { level: 9, mtime: FIXED_MTIME },
  );
}

/** The code hash as Lambda reports it in `CodeSha256`: base64 of the SHA-256 of the zip. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64');
}
