// Preloaded (node --import) by the cold-start test: appends the URL of every module the process
// loads to the file named by KDS_XACCT_LOADS, so a test can assert what `--help` never loads.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(process.env.KDS_XACCT_LOADS)}, resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
