/**
 * @module scripts/browser-bundle
 * Bundles the browser-safe entry points of the stack the way a web app's
 * bundler would (esbuild, `platform: 'browser'`: the `browser`/`import`
 * conditions, no `node` condition), with nothing marked external and no
 * alias, inject or define — so a `node:*` import or a Node built-in fails
 * the build instead of being polyfilled — and measures each bundle minified
 * and gzipped. Used by `test/browser-bundles.test.ts` and `pnpm sizes`.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Format } from 'esbuild';

export interface BrowserEntry {
  /** The import specifier, as an app would write it. */
  specifier: string;
  /** npm packages the bundle may contain (the package itself and its declared dependency tree). */
  allowedPackages: string[];
}

const PKIJS_TREE = ['pkijs', 'asn1js', 'bytestreamjs', 'pvtsutils', 'pvutils', 'tslib'];
const NOBLE = ['@noble/ciphers', '@noble/curves', '@noble/hashes', '@noble/post-quantum'];

/** The entry points DESIGN.md calls browser-safe. */
export const BROWSER_ENTRIES: BrowserEntry[] = [
  { specifier: '@tsquic/quic-wire', allowedPackages: ['@tsquic/quic-wire'] },
  { specifier: '@tsquic/quic-crypto-keys', allowedPackages: ['@tsquic/quic-crypto-keys', '@noble/ciphers', '@noble/hashes'] },
  { specifier: '@tsquic/tls13-handshake', allowedPackages: ['@tsquic/tls13-handshake', ...NOBLE, ...PKIJS_TREE] },
  { specifier: '@tsquic/tls13-handshake/record', allowedPackages: ['@tsquic/tls13-handshake'] },
];

export interface BrowserBundle {
  code: string;
  /** Bytes of the output each npm package accounts for. */
  bytesByPackage: Record<string, number>;
  /** Every module file that went into the bundle. */
  inputs: string[];
  /** npm package names those files belong to. */
  packages: string[];
}

const here = fileURLToPath(new URL('..', import.meta.url));

/** The npm package a bundled file belongs to (`@tsquic/<dir>` for the workspace's packages/). */
export function packageOf(path: string): string {
  const nm = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (nm) return nm[1]!;
  const ws = /(?:^|\/)packages\/([^/]+)\//.exec(path);
  if (ws) return `@tsquic/${ws[1]}`;
  return path;
}

export interface BundleOptions {
  minify?: boolean;
  format?: Format;
  globalName?: string;
  /** Module source to bundle instead of `export * from specifier` (e.g. named imports, to see tree shaking). */
  contents?: string;
}

/** Bundle everything `specifier` exports (`export *`) for the browser. */
export async function bundleForBrowser(specifier: string, options: BundleOptions = {}): Promise<BrowserBundle> {
  const r = await build({
    stdin: { contents: options.contents ?? `export * from ${JSON.stringify(specifier)};`, resolveDir: here, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: options.format ?? 'esm',
    ...(options.globalName && { globalName: options.globalName }),
    target: 'es2022',
    minify: options.minify ?? false,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs).filter((p) => p !== '<stdin>');
  const bytesByPackage: Record<string, number> = {};
  for (const out of Object.values(r.metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      if (path !== '<stdin>') bytesByPackage[packageOf(path)] = (bytesByPackage[packageOf(path)] ?? 0) + bytesInOutput;
    }
  }
  return { code: r.outputFiles[0]!.text, bytesByPackage, inputs, packages: [...new Set(inputs.map(packageOf))].sort() };
}

export interface BundleSize {
  label: string;
  minified: number;
  gzipped: number;
  /** Minified bytes per npm package. */
  bytesByPackage: Record<string, number>;
}

/** Minified and gzipped (level 9) bytes of one bundle. */
export async function bundleSize(label: string, specifier: string, contents?: string): Promise<BundleSize> {
  const b = await bundleForBrowser(specifier, { minify: true, ...(contents && { contents }) });
  const bytes = Buffer.from(b.code);
  return { label, minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length, bytesByPackage: b.bytesByPackage };
}

/** Each entry's whole-API bundle. */
export async function bundleSizes(entries: BrowserEntry[] = BROWSER_ENTRIES): Promise<BundleSize[]> {
  const out: BundleSize[] = [];
  for (const e of entries) out.push(await bundleSize(`\`${e.specifier}\``, e.specifier));
  return out;
}
