/**
 * @module release
 * The changesets release flow, rehearsed without touching the tree:
 * `changeset version` run on a copy of the workspace's manifests and pending
 * changesets (what the version bump and the CHANGELOGs will be), and
 * `pnpm publish -r --dry-run` (what npm would receive). docs/releasing.md
 * says how a release is cut for real.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Outcome, run, runOk } from './exec.js';
import { ROOT, readManifest } from './workspace.js';

export interface PlannedRelease {
  name: string;
  private: boolean;
  from: string;
  to: string;
  /** The CHANGELOG.md changeset would write, or null when it writes none. */
  changelog: string | null;
}

/** Workspace package directories, relative to the root, from pnpm-workspace.yaml's globs (`dir/*` or `dir`). */
export function workspaceDirs(root = ROOT): string[] {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/gm)].map((m) => m[1]!).filter((g) => !g.includes('esbuild'));
  return globs.flatMap((g) =>
    g.endsWith('/*')
      ? readdirSync(join(root, g.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory() && existsSync(join(root, g.slice(0, -2), d.name, 'package.json')))
          .map((d) => `${g.slice(0, -2)}/${d.name}`)
      : existsSync(join(root, g, 'package.json'))
        ? [g]
        : [],
  );
}

/** Runs `changeset version` on a copy of the manifests and `.changeset/`; the tree is left as it is. */
export async function planRelease(root = ROOT): Promise<PlannedRelease[]> {
  const copy = mkdtempSync(join(tmpdir(), 'tsquic-release-'));
  try {
    const dirs = workspaceDirs(root);
    for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, f), join(copy, f));
    cpSync(join(root, '.changeset'), join(copy, '.changeset'), { recursive: true });
    for (const d of dirs) {
      mkdirSync(join(copy, d), { recursive: true });
      cpSync(join(root, d, 'package.json'), join(copy, d, 'package.json'));
    }
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
    // changesets asks git which changesets are new; the copy is a repository of its own.
    await runOk('git', ['init', '-q'], { cwd: copy });
    await runOk(join(root, 'node_modules/.bin/changeset'), ['version'], { cwd: copy, timeoutMs: 120_000 });
    return dirs.map((d) => {
      const before = readManifest(join(root, d));
      const after = readManifest(join(copy, d));
      const log = join(copy, d, 'CHANGELOG.md');
      return { name: before.name, private: before.private === true, from: before.version, to: after.version, changelog: existsSync(log) ? readFileSync(log, 'utf8') : null };
    });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** `pnpm publish -r --dry-run`: packs every published package and shows what npm would get, publishing nothing. */
export function publishDryRun(root = ROOT): Promise<Outcome> {
  return run('pnpm', ['publish', '-r', '--dry-run', '--no-git-checks'], { cwd: root, timeoutMs: 300_000 });
}
