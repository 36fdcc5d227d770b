#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  // A checkout before its first build: one line that says what to run, rather than Node's stack trace.
  const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
  const npm = (args) => `npm --prefix ${/^[\w@%+=:,./-]+$/.test(root) ? root : `'${root.replace(/'/g, `'\\''`)}'`} ${args}`;
  const build = existsSync(new URL('../node_modules', import.meta.url)) ? npm('run build') : `${npm('ci')} && ${npm('run build')}`;
  process.stderr.write(`kds-xacct is not built yet: run \`${build}\` first.\n`);
  process.exit(1);
}
// Node 22.1+ caches compiled code between runs, which shortens every start; Node 20 has no such cache.
module.enableCompileCache?.();
await import(entry.href);
