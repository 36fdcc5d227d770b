import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HANDLER_SOURCE } from '../pipeline/handler/source.js';
import type { FunctionRuntime, KinesisStreamEvent } from './index.js';

type Handler = (event: KinesisStreamEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

let handler: Promise<Handler> | undefined;

/** The handler that ships, imported from a real .mjs file as Lambda's runtime would. */
function loadHandler(): Promise<Handler> {
  handler ??= (async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kds-xacct-handler-')), 'index.mjs');
    writeFileSync(file, HANDLER_SOURCE);
    return ((await import(pathToFileURL(file).href)) as { handler: Handler }).handler;
  })();
  return handler;
}

/**
 * Runs the real bundled handler in the fake cloud: what it writes to stdout and stderr becomes the
 * function's log lines, as in Lambda. The handler does not await between writes, so nothing
 * else writes while its output is captured.
 */
export const bundledHandlerRuntime: FunctionRuntime = async (event, log) => {
  const run = await loadHandler();
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array): boolean => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const { stdout, stderr } = process;
  const [out, err] = [stdout.write, stderr.write];
  stdout.write = capture as typeof stdout.write;
  stderr.write = capture as typeof stderr.write;
  let result;
  try {
    result = await run(event);
  } finally {
    stdout.write = out;
    stderr.write = err;
  }
  for (const line of written.join('').split('\n')) if (line !== '') log(line);
  return result;
};
