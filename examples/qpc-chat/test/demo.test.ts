/** The repository's one-command demo: server, two clients, a push, exit 0, nothing left behind. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

test('the demo runs a server and two clients, bob gets ann’s messages pushed, and it cleans up', async () => {
  const demo = fileURLToPath(new URL('../dist/demo.js', import.meta.url));
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(process.execPath, [demo], { timeout: 45_000 }, (err, out) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out }));
  });
  expect(code).toBe(0);
  expect(stdout).toMatch(/listening on 127\.0\.0\.1:\d+ \(QUIC, ALPN qpc\)/);
  expect(stdout).toContain('[bob] [lobby] ann: hello bob, this came over QUIC');
  expect(stdout).toContain('[bob] [lobby] ann: each call has its own stream; this reached you as a push');
  expect(stdout).toContain('demo done: bob received both messages as server pushes');
  const dir = /qpc demo in (\S+)/.exec(stdout)![1]!;
  expect(existsSync(dir)).toBe(false);
});
