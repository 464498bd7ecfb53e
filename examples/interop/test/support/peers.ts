/**
 * Real peers for the interop tests: ngtcp2's gtlsserver / gtlsclient
 * (Debian ngtcp2-server / ngtcp2-client), certificates made by openssl
 * (one leaf, or the runner's inflated 9-certificate chain), and our
 * endpoint in process. Every process is bounded in time and killed by the
 * caller's cleanup.
 */
import { openssl } from '@tsquic/test-support/peers';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEndpoint } from '../../src/endpoint/run.js';
import { createQuicTransport } from '../../src/transport.js';

export { makeCert, start, udpBound, type Proc } from '@tsquic/test-support/peers';

/**
 * The runner's amplificationlimit chain: a root, seven intermediates and a
 * leaf whose SANs are inflated, so the server's first flight is far more
 * than three times a client Initial. `cert.pem` holds leaf and intermediates.
 */
export function makeChain(dir: string, length = 9): void {
  mkdirSync(dir, { recursive: true });
  const key = (n: string): string => join(dir, `${n}.key`);
  const crt = (n: string): string => join(dir, `${n}.crt`);
  const ext = join(dir, 'ca.ext');
  writeFileSync(ext, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  // Subject attributes are at most 64 characters: inflate with several.
  const pad = '/O=an organisation name made deliberately long to inflate the chain/OU=and an organisational unit name that is deliberately long too';
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key('c0'), '-out', crt('c0'), '-days', '2', '-subj', `${pad}/CN=interop root`]);
  for (let i = 1; i < length; i++) {
    const leaf = i === length - 1;
    const sans = leaf ? ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...Array.from({ length: 24 }, (_, k) => `DNS:padding-${k}.an-inflated-subject-alternative-name.example`)].join(',') : '';
    const e = join(dir, `e${i}.ext`);
    writeFileSync(e, leaf ? `subjectAltName=${sans}\n` : readFileSync(ext, 'utf8'));
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key(`c${i}`), '-out', join(dir, `c${i}.csr`), '-subj', leaf ? `${pad}/CN=localhost` : `${pad}/CN=interop intermediate ${i}`]);
    openssl(['x509', '-req', '-in', join(dir, `c${i}.csr`), '-CA', crt(`c${i - 1}`), '-CAkey', key(`c${i - 1}`), '-CAcreateserial', '-out', crt(`c${i}`), '-days', '2', '-extfile', e]);
  }
  const chain = Array.from({ length: length - 1 }, (_, k) => readFileSync(crt(`c${length - 1 - k}`), 'utf8')).join('');
  writeFileSync(join(dir, 'cert.pem'), chain);
  writeFileSync(join(dir, 'priv.key'), readFileSync(key(`c${length - 1}`)));
}

/** Our server (the interop endpoint, in process) until `stop()`. */
export async function ourServer(env: Record<string, string>): Promise<{ stop(): Promise<number>; log: string[] }> {
  const ac = new AbortController();
  const log: string[] = [];
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  const done = runEndpoint({ ROLE: 'server', ...env }, createQuicTransport(), {
    log: (l) => {
      log.push(l);
      if (l.startsWith('serving')) ready();
    },
    signal: ac.signal,
  });
  await Promise.race([listening, done]);
  return {
    log,
    stop: () => {
      ac.abort();
      return done;
    },
  };
}

/** Our client (in process): the exit status and its log lines. */
export async function ourClient(env: Record<string, string>): Promise<{ status: number; log: string[] }> {
  const log: string[] = [];
  const status = await runEndpoint({ ROLE: 'client', ...env }, createQuicTransport(), { log: (l) => log.push(l) });
  return { status, log };
}
