/**
 * @module scripts/bundle-sizes
 * `pnpm sizes`: the minified and gzipped size of each browser-safe entry
 * point of the stack (its whole API, esbuild, platform browser), of what a
 * TLS client over records actually imports, and which packages the bytes
 * come from — Markdown tables for the packages' READMEs.
 */
import { bundleSize, bundleSizes, type BundleSize } from './browser-bundle.js';

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

const rows: BundleSize[] = await bundleSizes();
rows.push(
  await bundleSize('a TLS client over records (`createClient`, `TlsConnection`)', '@tsquic/tls13-handshake', "export { createClient } from '@tsquic/tls13-handshake'; export { TlsConnection } from '@tsquic/tls13-handshake/record';"),
);

console.log('| bundle | minified | minified + gzip |\n|---|---:|---:|');
for (const s of rows) console.log(`| ${s.label} | ${kb(s.minified)} | ${kb(s.gzipped)} |`);
console.log('\nminified bytes by package:');
for (const s of rows) {
  const parts = Object.entries(s.bytesByPackage).sort((a, b) => b[1] - a[1]);
  console.log(`- ${s.label}: ${parts.map(([p, n]) => `${p} ${kb(n)}`).join(', ')}`);
}
