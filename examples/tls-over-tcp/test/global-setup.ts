/**
 * Vitest global setup: the interop tests run the built CLIs
 * (`node dist/bin/tls-get.js`) against the built library. turbo builds both
 * before `test`; a bare `vitest run` builds whatever is missing here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;

export default function setup(): void {
  if (!existsSync(`${root}packages/tls13-handshake/dist/index.js`)) {
    execFileSync(process.execPath, [tsc, '-p', `${root}packages/tls13-handshake/tsconfig.build.json`], { stdio: 'inherit' });
  }
  if (!existsSync(`${root}examples/tls-over-tcp/dist/bin/tls-get.js`)) {
    execFileSync(process.execPath, [tsc, '-p', `${root}examples/tls-over-tcp/tsconfig.build.json`], { stdio: 'inherit' });
  }
}
