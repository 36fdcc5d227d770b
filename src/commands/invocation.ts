import path from 'node:path';

/** What tells how this process was started: the script Node runs (process.argv[1]), the environment and the working directory. */
export interface StartedAs {
  script?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const PROGRAM = 'kds-xacct';

/**
 * The words that start kds-xacct again from the user's shell, the way this run was started: `node <path to
 * the script>` when Node was given the script itself (a checkout), `npx kds-xacct` when npx or an npm script
 * ran the program's link, `kds-xacct` when the program's folder is on PATH (an installed package, a global link), else
 * the path to the link that ran. Without a script (the program run in process), `kds-xacct`.
 */
export function programWords({ script, env, cwd }: StartedAs): string[] {
  if (script === undefined) return [PROGRAM];
  if (/\.[cm]?js$/.test(script)) return ['node', pathFrom(cwd, script)];
  // npx and npm scripts put the package's bin folder on PATH for this process only; npx finds it again.
  if (env.npm_command === 'exec' || env.npm_command === 'run-script' || env.npm_command === 'run') return npxWords(env.npm_config_package);
  if (onPath(path.dirname(script), env.PATH)) return [path.basename(script)];
  return [pathFrom(cwd, script)];
}

/** `npx kds-xacct`, with the packages `npx --package` was given, so that a tarball or a version is run again rather than the registry's latest. */
function npxWords(packages: string | undefined): string[] {
  const specs = (packages ?? '').split('\n').filter((spec) => spec !== '');
  return ['npx', ...specs.map((spec) => `--package=${spec}`), PROGRAM];
}

/** A path that works from `cwd`: relative below it, else absolute. A shell looks a word without a slash up on PATH, so such a word gets `./`. */
function pathFrom(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return file;
  return relative.includes(path.sep) ? relative : `.${path.sep}${relative}`;
}

function onPath(dir: string, PATH: string | undefined): boolean {
  return (PATH ?? '').split(path.delimiter).some((entry) => entry !== '' && path.resolve(entry) === path.resolve(dir));
}
