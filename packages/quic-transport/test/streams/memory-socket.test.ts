/**
 * `@tsquic/quic-transport/streams` without Node's UDP: the endpoint shell,
 * WebTransport-shaped connections and Web Streams over an in-memory
 * DatagramSocket pair; and the subpath's modules import nothing from `node:*`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { QuicSocketEndpoint } from '../../src/streams/index.js';
import { socketPair } from './memory-link.js';
import { pattern } from '../sim/apps.js';
import { serverTls } from '../sim/network.js';

describe('the Web Streams shell over an in-memory socket pair', () => {
  it('handshake, a 2 MB echo on a bidirectional stream, a unidirectional stream, a datagram, a clean close', async () => {
    const [cs, ss] = socketPair();
    const server = new QuicSocketEndpoint(ss, { transport: { maxDatagramFrameSize: 1200 } });
    server.listen({
      tls: serverTls(),
      onConnection: (c) => {
        void (async () => {
          for await (const s of c.incomingBidirectionalStreams) void s.readable.pipeTo(s.writable);
        })();
        void (async () => {
          for await (const r of c.incomingUnidirectionalStreams) {
            const w = await c.createUnidirectionalStream();
            await r.pipeTo(w);
          }
        })();
        void c.datagrams.readable.pipeTo(c.datagrams.writable);
      },
    });
    const client = new QuicSocketEndpoint(cs, { transport: { maxDatagramFrameSize: 1200 } });
    const conn = client.connect(ss.localAddress, { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' });
    const info = await conn.ready;
    expect(info.alpn).toBe('test');
    expect(conn.remoteAddress).toEqual(ss.localAddress);
    expect(conn.localAddress).toEqual(cs.localAddress);

    const src = pattern(2 << 20, 4);
    const s = await conn.createBidirectionalStream();
    const w = s.writable.getWriter();
    const writing = w.write(src).then(() => w.close());
    const parts: Uint8Array[] = [];
    for await (const c of s.readable) parts.push(c);
    await writing;
    expect(Buffer.concat(parts).equals(src)).toBe(true);

    const uni = await conn.createUnidirectionalStream();
    const uw = uni.getWriter();
    await uw.write(new TextEncoder().encode('one way'));
    await uw.close();
    const back = (await conn.incomingUnidirectionalStreams.getReader().read()).value!;
    const echoed: Uint8Array[] = [];
    for await (const c of back) echoed.push(c);
    expect(new TextDecoder().decode(Buffer.concat(echoed))).toBe('one way');

    const dgw = conn.datagrams.writable.getWriter();
    await dgw.write(new TextEncoder().encode('datagram'));
    const dg = await conn.datagrams.readable.getReader().read();
    expect(new TextDecoder().decode(dg.value)).toBe('datagram');

    expect(await conn.close({ closeCode: 3n, reason: 'done' })).toMatchObject({ code: 3n, application: true });
    await Promise.all([client.close({ timeoutMs: 50 }), server.close({ timeoutMs: 50 })]);
    expect(cs.closed && ss.closed).toBe(true);
    expect(cs.sent).toBeGreaterThan(100);
  }, 30_000);

  it('the ./streams and ./core subpaths import nothing from node:* (the built modules, followed through their imports)', () => {
    const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const exports = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports as Record<string, { default: string }>;
    for (const entry of ['./streams', './core']) {
      const seen = new Set<string>();
      const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
          const spec = m[1]!;
          expect(spec.startsWith('node:'), `${file} imports ${spec}`).toBe(false);
          if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        }
      };
      visit(join(pkg, exports[entry]!.default));
      expect(seen.size).toBeGreaterThan(5);
    }
    // ...and the Node entry is where node:dgram lives.
    expect(readdirSync(join(pkg, 'dist/node'))).toContain('endpoint.js');
  });
});
