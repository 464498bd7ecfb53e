/**
 * Regression (issue 15, finding 10): the node provider's X25519 key
 * generation (generateKeyPairSync + a JWK export) deadlocked Node 20 when a
 * garbage collection ran inside the export — the tls13 client fuzz target's
 * "stall in futex_wait". A child process generates key shares under constant
 * collection and must finish.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('../../', import.meta.url));

function churn(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', 'test/crypto/x25519-churn.ts', ...args], { cwd: pkg, timeout: 60_000, killSignal: 'SIGKILL' }, (err, out) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out }),
    );
    child.stdin?.end();
  });
}

describe('node provider X25519 key generation under garbage collection', () => {
  it('60,000 key shares with a 1 MB young generation finish (no deadlock)', async () => {
    expect(await churn(['60000'])).toEqual({ code: 0, out: 'done 60000\n' });
  }, 90_000);

  it('20,000 key shares from the thread-pool key pool, each completed by Diffie-Hellman, finish too (most came from the pool)', async () => {
    expect(await churn(['20000', 'pooled'])).toEqual({ code: 0, out: 'done 20000 pooled most\n' });
  }, 90_000);
});
