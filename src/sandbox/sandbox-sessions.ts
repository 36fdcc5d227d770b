import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { SessionFactory } from '../aws/session.js';
import { UserError } from '../errors.js';
import type { Sandbox } from './sandbox.js';

/** A sandbox profile: the account it signs in to and its region. */
export interface SandboxProfile {
  accountId: string;
  region: string;
}

/**
 * Sessions whose clients reach only the sandbox: no shared config is read, no credential provider
 * runs, and each profile is one sandbox account. Connecting calls GetCallerIdentity, as a real
 * profile does, so the account shown is the one the sandbox answers for.
 */
export function sandboxSessionFactory(sandbox: Sandbox, profiles: Record<string, SandboxProfile>): SessionFactory {
  return {
    async listProfiles() {
      return Object.keys(profiles);
    },
    async profileRegion(profile) {
      return profiles[profile]?.region;
    },
    async connect(profile, role, options) {
      const p = profiles[profile];
      if (!p) throw new UserError(`Profile "${profile}" is not a sandbox profile.`, `The sandbox has these profiles: ${Object.keys(profiles).join(', ')}.`);
      const region = options.region ?? p.region;
      const clients = sandbox.clientsFor(p.accountId, region);
      const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
      return { role, profile, region, accountId: identity.Account!, callerArn: identity.Arn!, clients, simulated: true };
    },
  };
}
