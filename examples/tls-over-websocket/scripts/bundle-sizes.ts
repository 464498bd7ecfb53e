/**
 * @module scripts/bundle-sizes
 * `pnpm sizes`: the minified and gzipped size of each browser-safe entry
 * point of the stack (whole API, esbuild, platform browser), as a Markdown
 * table for the packages' READMEs.
 */
import { bundleSizes } from './browser-bundle.js';

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
console.log('| entry point | minified | minified + gzip |\n|---|---:|---:|');
for (const s of await bundleSizes()) console.log(`| \`${s.specifier}\` | ${kb(s.minified)} | ${kb(s.gzipped)} |`);
