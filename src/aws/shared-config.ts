import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';

/** One INI section: `key = value` lines. Nested sub-sections appear as `parent.key`. */
export type IniSection = Record<string, string | undefined>;

/**
 * The shared config and credentials files, parsed the way the SDK parses them: config-file profile
 * sections lose their `profile ` prefix, while `[services x]` and `[sso-session x]` stay as
 * `services.x` and `sso-session.x`.
 */
export interface SharedConfigFiles {
  configFile: Record<string, IniSection>;
  credentialsFile: Record<string, IniSection>;
  /** Accepted from injected loaders; resolution here does not need it (fromIni reads SSO sessions itself). */
  ssoSessions?: Record<string, IniSection>;
}

const NON_PROFILE_SECTION = /^(?:services|sso-session)\./;

/**
 * Reads the files the SDK would read: AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE from `env`,
 * else ~/.aws/config and ~/.aws/credentials. Missing files read as empty.
 */
export async function loadSharedConfig(env: NodeJS.ProcessEnv): Promise<SharedConfigFiles> {
  // ignoreCache: the loader caches file contents per path for the life of the process; a user
  // who fixes ~/.aws/config between two runs in one process (tests, a long wizard) must see it.
  const { configFile, credentialsFile } = await loadSharedConfigFiles({
    ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
    ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
    ignoreCache: true,
  });
  return { configFile, credentialsFile };
}

/** Profile names in both files, deduplicated, `default` first and the rest sorted. */
export function profileNames(files: SharedConfigFiles): string[] {
  const names = new Set<string>();
  for (const file of [files.configFile, files.credentialsFile]) {
    for (const name of Object.keys(file)) {
      if (!NON_PROFILE_SECTION.test(name)) names.add(name);
    }
  }
  return [...names].sort((a, b) => {
    if (a === b) return 0;
    if (a === 'default') return -1;
    if (b === 'default') return 1;
    return a < b ? -1 : 1;
  });
}

/**
 * A profile's settings, or undefined when neither file has it. For settings (region, endpoint_url,
 * services) the config file wins over the credentials file, as in the SDK's own config loader
 * (`fromSharedConfigFiles`, preferredFile "config").
 */
export function profileSettings(files: SharedConfigFiles, profile: string): IniSection | undefined {
  if (NON_PROFILE_SECTION.test(profile)) return undefined;
  const fromCredentials = Object.hasOwn(files.credentialsFile, profile) ? files.credentialsFile[profile] : undefined;
  const fromConfig = Object.hasOwn(files.configFile, profile) ? files.configFile[profile] : undefined;
  if (!fromCredentials && !fromConfig) return undefined;
  return { ...fromCredentials, ...fromConfig };
}

/** A `[services name]` section of the config file, if present. */
export function servicesSection(files: SharedConfigFiles, name: string): IniSection | undefined {
  const key = `services.${name}`;
  return Object.hasOwn(files.configFile, key) ? files.configFile[key] : undefined;
}
