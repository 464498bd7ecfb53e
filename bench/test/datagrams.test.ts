/**
 * The headline bulk rows compare like with like (issue 19): with the
 * settings the suite gives them, ours and ngtcp2 both send 1,452-byte UDP
 * payloads and nothing larger. Ours is watched through @tsquic/relay (every
 * datagram's size, both ways); ngtcp2 through gtlsclient's own packet log.
 * The peer processes run the built scripts (dist/peers): `build` comes first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Relay } from '@tsquic/relay';
import { INTERNET_DATAGRAMS } from '../src/measure/bulk.js';
import { exited, freePort, gtlsclientArgs, gtlsserver, makeCerts, Peer, peerScript, removeDir, runClient, scratch, type Certs } from '../src/proc.js';

const BYTES = 1_000_000;
let dir: string;
let certs: Certs;

beforeAll(() => {
  dir = scratch('tsquic-datagrams');
  certs = makeCerts(join(dir, 'certs'));
});
afterAll(() => removeDir(dir));

const sizes = (xs: number[]): { max: number; at1452: number } => ({ max: Math.max(...xs), at1452: xs.filter((x) => x === 1452).length });

/** gtlsclient with the suite's 1,452-byte settings, not quiet: it logs every packet it sends and receives, with its size. */
function gtlsclientLog(port: number, path: string): string {
  const args = gtlsclientArgs(port, [path], { maxUdpPayloadSize: 1452 }).filter((a) => a !== '-q');
  const r = spawnSync('gtlsclient', ['--no-http-dump', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20 });
  expect(r.status).toBe(0);
  return r.stdout + r.stderr;
}

const packets = (log: string, what: 'Received' | 'Sent'): number[] => [...log.matchAll(new RegExp(`${what} packet: .* (\\d+) bytes`, 'g'))].map((m) => Number(m[1]));

describe('datagram sizes of the 1,452-byte rows', () => {
  it('ours → ours (peers/ours with INTERNET_DATAGRAMS): every datagram ≤ 1,452 B both ways, the transfer in 1,452-B datagrams', async () => {
    const env = { ...process.env, BENCH_TRANSPORT: JSON.stringify(INTERNET_DATAGRAMS) };
    const server = Peer.start('ours', ['server', certs.certDer, certs.keyDer], env);
    const seen: Record<'to-server' | 'to-client', number[]> = { 'to-server': [], 'to-client': [] };
    try {
      const { port } = await server.next('ready', 10_000);
      // No impairment: a link far faster than the transfer, no MTU limit of its own (so nothing is hidden by drops).
      const relay = await Relay.start({ target: { host: '127.0.0.1', port }, scenario: 'simple-p2p --delay=0ms --bandwidth=100Gbps --queue=100000', mtu: 0, onPacket: (e) => seen[e.direction].push(e.size) });
      try {
        const r = await runClient(process.execPath, [peerScript('ours'), 'get', String(relay.address.port), String(BYTES), '1'], { env, timeoutMs: 60_000 });
        expect(JSON.parse(r.stdout).bytes).toBe(BYTES);
      } finally {
        await relay.stop();
      }
    } finally {
      await server.stop();
    }
    const down = sizes(seen['to-client']);
    expect(down.max).toBe(1452);
    expect(down.at1452).toBeGreaterThan(BYTES / 1452 / 2);
    expect(sizes(seen['to-server']).max).toBeLessThanOrEqual(1452);
  }, 90_000);

  it('ours (peers/h3, @tsquic/http3) → gtlsclient: our HTTP/3 server sends 1,452-B datagrams, gtlsclient nothing larger', async () => {
    const server = Peer.start('h3', ['server', certs.certDer, certs.keyDer], { ...process.env, BENCH_TRANSPORT: JSON.stringify(INTERNET_DATAGRAMS) });
    try {
      const { port } = await server.next('ready', 10_000);
      const log = gtlsclientLog(port, `bytes/${BYTES}`);
      const down = sizes(packets(log, 'Received'));
      expect(down.max).toBe(1452);
      expect(down.at1452).toBeGreaterThan(BYTES / 1452 / 2);
      expect(sizes(packets(log, 'Sent')).max).toBeLessThanOrEqual(1452);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('ngtcp2 → ngtcp2 with --no-pmtud --max-udp-payload-size=1452: every datagram ≤ 1,452 B both ways, the transfer in 1,452-B datagrams', async () => {
    const www = join(dir, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(join(www, 'big'), new Uint8Array(BYTES).fill(0x61));
    const port = await freePort();
    const srv = await gtlsserver(www, port, certs, { maxUdpPayloadSize: 1452 });
    try {
      const log = gtlsclientLog(port, 'big');
      const down = sizes(packets(log, 'Received'));
      expect(down.max).toBe(1452);
      expect(down.at1452).toBeGreaterThan(BYTES / 1452 / 2);
      expect(sizes(packets(log, 'Sent')).max).toBeLessThanOrEqual(1452);
    } finally {
      srv.kill('SIGKILL');
      await exited(srv, 2000);
    }
  }, 90_000);
});
