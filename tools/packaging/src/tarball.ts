/**
 * @module tarball
 * The packages as npm will publish them: `pnpm pack` (which turns
 * `workspace:*` into versions), then a fresh project outside the monorepo per
 * package with that tarball and its `@tsquic` dependencies' tarballs
 * installed by npm — the first hour of a user who found the package on npm.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './exec.js';
import { type WorkspacePackage, workspaceDependencies } from './workspace.js';

/** `@tsquic/quic-wire@0.1.0` → `tsquic-quic-wire-0.1.0.tgz`, as pnpm and npm name it. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/** Packs every package into `dest`; returns the tarball path by package name. */
export async function packAll(packages: readonly WorkspacePackage[], dest: string): Promise<Map<string, string>> {
  mkdirSync(dest, { recursive: true });
  const out = new Map<string, string>();
  for (const p of packages) {
    await runOk('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir, timeoutMs: 60_000 });
    out.set(p.manifest.name, join(dest, tarballName(p.manifest.name, p.manifest.version)));
  }
  return out;
}

/** The paths of the files in a tarball, `package/` stripped. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await runOk('tar', ['-tzf', tarball], { cwd: '/' });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

const NPM_FLAGS = ['--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error', '--prefer-offline'];

/**
 * A new npm project in `dir` with `names` installed: `@tsquic` packages (and their `@tsquic`
 * dependencies) from the tarballs, anything else (`extra`) from the registry.
 */
export async function installProject(dir: string, names: readonly string[], extra: readonly string[], packages: readonly WorkspacePackage[], tarballs: ReadonlyMap<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'first-hour', private: true, type: 'module' }, null, 2)}\n`);
  const local = new Set(names.flatMap((n) => [n, ...workspaceDependencies(n, packages)]));
  const files = [...local].map((n) => {
    const t = tarballs.get(n);
    if (!t) throw new Error(`no tarball for ${n}`);
    return t;
  });
  await runOk('npm', ['install', ...NPM_FLAGS, ...files, ...extra], { cwd: dir, timeoutMs: 240_000 });
}

/** The versions npm installed in a project, by name (to show which tarballs were used). */
export function installedVersion(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}
