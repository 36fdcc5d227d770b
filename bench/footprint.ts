/**
 * What `npm install kds-xacct` downloads and puts on a user's disk, measured without the network: the
 * package's own files (as `npm pack` would ship them) plus every production package of the lockfile, read
 * from the local node_modules. Since dist/ bundles every dependency there are none of the latter, and the
 * figure is the package alone; the lockfile is still read, so a dependency that comes back is counted.
 * The lockfile's production entries are what `npm ci --omit=dev` installs; entries marked devOptional (an
 * optional peer of a production package that is also a dev dependency) are left out, because a user's
 * install does not fetch optional peers.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
}

export interface Footprint {
  /** The gzipped tarball `npm pack` writes: what npm downloads. */
  tarballBytes: number;
  /** Files in the tarball. */
  tarballFiles: number;
  /** Bytes on disk (allocated blocks), as `du` counts them. */
  diskBytes: number;
  /** The files' own sizes, which do not depend on the file system. */
  contentBytes: number;
  files: number;
  packages: number;
  /** Disk bytes per top-level name (a scope such as @aws-sdk, or a package), largest first. */
  byName: Array<[string, number]>;
  /** Production packages the lockfile lists but node_modules does not hold at that version. */
  notInstalled: string[];
}

interface Tally {
  diskBytes: number;
  contentBytes: number;
  files: number;
}

/**
 * Every file under `dir`, not following links; `skip` names directories left out (nested node_modules).
 * Directories take disk blocks too, which `du` counts: thousands of them in a tree like the AWS SDK's.
 */
function tally(dir: string, skip: ReadonlySet<string> = new Set()): Tally {
  const total: Tally = { diskBytes: 0, contentBytes: 0, files: 0 };
  const walk = (at: string) => {
    total.diskBytes += lstatSync(at).blocks * 512;
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) walk(full);
      } else if (entry.isFile()) {
        const stat = lstatSync(full);
        total.diskBytes += stat.blocks * 512;
        total.contentBytes += stat.size;
        total.files++;
      }
    }
  };
  walk(dir);
  return total;
}

/** What `npm pack` would write: the tarball's size and the files in it (package.json `files`, plus what npm always adds). */
function packed(root: string): { size: number; entryCount: number; files: string[] } {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm pack --dry-run failed: ${result.stderr}`);
  const [pack] = JSON.parse(result.stdout) as Array<{ size: number; entryCount: number; files: Array<{ path: string }> }>;
  return { size: pack!.size, entryCount: pack!.entryCount, files: pack!.files.map((f) => f.path) };
}

export function productionFootprint(root: string): Footprint {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const total: Tally = { diskBytes: 0, contentBytes: 0, files: 0 };
  const byName = new Map<string, number>();
  const add = (name: string, t: Tally) => {
    total.diskBytes += t.diskBytes;
    total.contentBytes += t.contentBytes;
    total.files += t.files;
    byName.set(name, (byName.get(name) ?? 0) + t.diskBytes);
  };

  const tarball = packed(root);
  for (const file of tarball.files) {
    const stat = lstatSync(path.join(root, file));
    add('kds-xacct', { diskBytes: stat.blocks * 512, contentBytes: stat.size, files: 1 });
  }

  const notInstalled: string[] = [];
  let packages = 0;
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.dev || entry.devOptional || entry.link) continue;
    packages++;
    const dir = path.join(root, key);
    let installed: string | undefined;
    try {
      installed = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
    } catch {
      installed = undefined;
    }
    if (installed !== entry.version) {
      notInstalled.push(`${key}@${entry.version}${installed ? ` (installed: ${installed})` : ''}`);
      continue;
    }
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    add(name.startsWith('@') ? name.split('/')[0]! : name, tally(dir, new Set(['node_modules'])));
  }
  return { ...total, tarballBytes: tarball.size, tarballFiles: tarball.entryCount, packages, byName: [...byName].sort((a, b) => b[1] - a[1]), notInstalled };
}
