/**
 * @module peers/hs
 * One side of the handshake measurements in its own process, so that the
 * server's and the client's costs are measured apart: each process reports
 * the CPU time it spent (`process.cpuUsage`, all its threads) over the
 * client's sequential handshakes after its warm-up — the client says when
 * its window starts ('window'), the server counts the handshakes it was
 * handed (its 'cpu' reply carries the count as `requests`).
 *   node peers/hs.js server <quic|tls> <cert> <key>     (DER for quic, PEM for tls)
 *   node peers/hs.js client <quic|tls> <port> <full|resumed> <seconds> <cert.der>   (the server's certificate, trusted)
 */
import { readFileSync } from 'node:fs';
import { HANDSHAKERS, SERVERS, sequential, type Kind, type Mode } from './handshakers.js';
import { cpuMicros, type ParentMessage, type PeerMessage } from './ipc.js';

function send(m: PeerMessage): void {
  process.send!(m);
}

async function server(kind: Kind, cert: string, key: string): Promise<void> {
  const s = await SERVERS[kind](new Uint8Array(readFileSync(cert)), new Uint8Array(readFileSync(key)));
  process.on('message', (m: ParentMessage) => {
    if (m.cmd === 'cpu') send({ type: 'cpu', micros: cpuMicros(), requests: s.accepted });
    else if (m.cmd === 'exit') void s.close().then(() => process.exit(0));
  });
  send({ type: 'ready', port: s.port });
}

async function client(kind: Kind, port: number, mode: Mode, seconds: number, trustAnchor: string): Promise<void> {
  const h = await HANDSHAKERS[kind](port, new Uint8Array(readFileSync(trustAnchor)));
  // The window starts once the parent has read the server's CPU time and count: it answers 'window' with 'cpu'.
  const go = (): Promise<void> =>
    new Promise((resolve) => {
      process.once('message', () => resolve());
      send({ type: 'window' });
    });
  const r = await sequential(h, mode, seconds, go);
  send({ type: 'result', bytes: r.handshakes, seconds: r.seconds, stats: { cpuSeconds: r.cpuSeconds } });
  await h.close();
  process.exit(0);
}

const [role, kind, a, b, c, d] = process.argv.slice(2);
(role === 'server' ? server(kind as Kind, a!, b!) : client(kind as Kind, Number(a), b as Mode, Number(c), d!)).catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
