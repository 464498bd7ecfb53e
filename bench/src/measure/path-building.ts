/**
 * @module measure/path-building
 * Certificate path building against hostile chains (issue 15, finding 1;
 * RFC 5280 §6, bounded as webpki and Go bound it): the worst chain that the
 * default ChainLimits let through to path building (10 certificates) is
 * presented as a client certificate, and the server's `receive()` of the
 * client's Certificate, CertificateVerify and Finished is timed — the whole
 * cost of one such handshake to the server, parse included (a fresh server
 * and TrustStore each time, as with an attacker who varies the chain). The
 * chains come from packages/tls13-handshake/scripts/make-hostile-pki.sh:
 * a leaf and 9 self-issued CAs with one subject and one key ("loop", the
 * issue's chain), a maze of 9 CAs with one subject and 9 keys (P-256, P-384,
 * RSA-4096), and a CA with 200 excluded name subtrees over a leaf with 201 SANs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, createServer, type Handshake, type HandshakeEvent } from '@tsquic/tls13-handshake';
import { nodeCrypto } from '@tsquic/tls13-handshake/node';
import type { Certs } from '../proc.js';

const SCRIPT = fileURLToPath(new URL('../../../packages/tls13-handshake/scripts/make-hostile-pki.sh', import.meta.url));

export interface PathBuildingResult {
  /** The slowest variant's median, ms per handshake. */
  worstMs: number;
  worst: string;
  /** Every variant: median ms per handshake and the alert the server sent (0: accepted). */
  variants: Array<{ name: string; ms: number; alert: number }>;
}

interface Variant {
  name: string;
  chain: Uint8Array[];
  key: Uint8Array;
  anchors: Uint8Array[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The hostile PKIs of one key algorithm, made by OpenSSL into `dir`. */
function make(dir: string, alg: string, sets: string): (name: string) => Uint8Array {
  const r = spawnSync('bash', [SCRIPT, dir, alg, '9', sets], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-hostile-pki.sh ${alg} failed: ${r.stderr}`);
  return (name) => new Uint8Array(readFileSync(join(dir, `${name}.der`)));
}

const cas = (der: (n: string) => Uint8Array, prefix: string) => Array.from({ length: 9 }, (_, i) => der(`${prefix}-ca-${i + 1}`));

/** One handshake with `v` as the client's chain; the ms the server spends on the client's last flight. */
function handshake(v: Variant, certs: Certs): { ms: number; alert: number } {
  const server = createServer({
    profile: { kind: 'tls' },
    alpn: [],
    crypto: nodeCrypto,
    requestClientCertificate: true,
    trustAnchors: v.anchors,
    certificateChain: [new Uint8Array(readFileSync(certs.certDer))],
    privateKey: new Uint8Array(readFileSync(certs.keyDer)),
  });
  const client = createClient({ profile: { kind: 'tls' }, alpn: [], crypto: nodeCrypto, verify: 'none', certificateChain: v.chain, privateKey: v.key });
  const deliver = (to: Handshake, evs: HandshakeEvent[]): HandshakeEvent[] => evs.flatMap((e) => (e.type === 'handshake-data' && to.state === 'running' ? to.receive(e.level, e.bytes, Date.now()) : []));
  server.start(Date.now());
  let toClient = deliver(server, client.start(Date.now()));
  toClient = [...toClient, ...server.accept({})];
  const last = deliver(client, toClient).filter((e) => e.type === 'handshake-data');
  const t0 = performance.now();
  const out = deliver(server, last);
  const ms = performance.now() - t0;
  const alert = out.find((e) => e.type === 'alert');
  return { ms, alert: alert && alert.type === 'alert' ? alert.description : 0 };
}

export function pathBuilding(dir: string, certs: Certs, o: { smoke: boolean; runs: number }): PathBuildingResult {
  const p256 = make(join(dir, 'p256'), 'p256', 'loop,maze,nc');
  const variants: Variant[] = [
    { name: 'honest (leaf under its anchor)', chain: [p256('loop-leaf')], key: p256('loop-leaf.key'), anchors: [p256('loop-ca-1')] },
    { name: 'loop, P-256', chain: [p256('loop-leaf'), ...cas(p256, 'loop')], key: p256('loop-leaf.key'), anchors: [p256('anchor')] },
    { name: 'maze, P-256', chain: [p256('maze-leaf'), ...cas(p256, 'maze')], key: p256('maze-leaf.key'), anchors: [p256('anchor')] },
    { name: 'name constraints, 201 × 200', chain: [p256('nc-leaf'), p256('nc-ca')], key: p256('nc-leaf.key'), anchors: [p256('nc-ca')] },
  ];
  // The costliest signatures to check: P-384 and RSA-4096 (key generation takes a while: full runs only).
  for (const alg of o.smoke ? [] : ['p384', 'rsa4096']) {
    const der = make(join(dir, alg), alg, 'maze');
    variants.push({ name: `maze, ${alg === 'p384' ? 'P-384' : 'RSA-4096'}`, chain: [der('maze-leaf'), ...cas(der, 'maze')], key: der('maze-leaf.key'), anchors: [der('anchor')] });
  }
  const results = variants.map((v) => {
    handshake(v, certs); // warm-up
    const runs = Array.from({ length: Math.max(1, o.runs) }, () => handshake(v, certs));
    return { name: v.name, ms: median(runs.map((r) => r.ms)), alert: runs[0]!.alert };
  });
  const hostile = results.slice(1);
  const worst = hostile.reduce((a, b) => (b.ms > a.ms ? b : a));
  return { worstMs: worst.ms, worst: worst.name, variants: results };
}
