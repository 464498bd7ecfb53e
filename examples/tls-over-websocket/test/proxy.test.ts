/**
 * The relay on its own: bytes cross it unchanged in both directions (any
 * value, any size, text messages too), the target is fixed at start whatever
 * the client asks, each side's close ends the other, and the relay stops
 * everything it opened.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startProxy, type Proxy, type RelayDirection } from '../src/node/proxy.js';
import { freePort } from './servers.js';

interface Target {
  server: Server;
  port: number;
  sockets: Socket[];
  /** Bytes received per accepted socket. */
  received: Buffer[][];
  ended: Promise<void>;
}

/** A TCP target on 127.0.0.1 that echoes (or just records) what it gets. */
async function startTarget(echo: boolean): Promise<Target> {
  const sockets: Socket[] = [];
  const received: Buffer[][] = [];
  let ended!: () => void;
  const t: Target = {
    server: createServer((s) => {
      sockets.push(s);
      const got: Buffer[] = [];
      received.push(got);
      s.on('data', (d: Buffer) => {
        got.push(d);
        if (echo) s.write(d);
      });
      s.on('end', () => {
        ended();
        s.end();
      });
      s.on('error', () => {});
    }),
    port: 0,
    sockets,
    received,
    ended: new Promise((r) => (ended = r)),
  };
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.port = (t.server.address() as AddressInfo).port;
  return t;
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function track<T extends { close(): unknown }>(x: T): T {
  open.push(x);
  return x;
}

function connectWs(url: string, headers?: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(url, headers ? { headers } : {});
  track({ close: () => ws.terminate() });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function closedCode(ws: WebSocket): Promise<number> {
  return new Promise((r) => ws.once('close', (code) => r(code)));
}

/** Collect `n` bytes from the WebSocket. */
function receiveBytes(ws: WebSocket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    ws.on('message', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= n) resolve(Buffer.concat(parts));
    });
  });
}

describe('WebSocket-to-TCP relay', () => {
  it('relays every byte value unchanged both ways, 4 MiB each way, and the tap sees exactly those bytes', async () => {
    const target = await startTarget(true);
    track(target.server);
    const port = target.port;
    const tape: Record<RelayDirection, Buffer[]> = { 'to-target': [], 'to-client': [] };
    const proxy = track(await startProxy({ target: { host: '127.0.0.1', port }, onRelay: (d, b) => tape[d].push(Buffer.from(b)) }));
    const ws = await connectWs(proxy.url);
    const payload = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4 << 20)]);
    const echoed = receiveBytes(ws, payload.length);
    // Odd-sized messages, so message boundaries differ from the TCP segments.
    for (let off = 0; off < payload.length; off += 65_537) ws.send(payload.subarray(off, off + 65_537));
    expect((await echoed).equals(payload)).toBe(true);
    expect(Buffer.concat(tape['to-target']).equals(payload)).toBe(true);
    expect(Buffer.concat(tape['to-client']).equals(payload)).toBe(true);
  });

  it('forwards a text message as its bytes, uninterpreted', async () => {
    const target = await startTarget(false);
    track(target.server);
    const proxy = track(await startProxy({ target: { host: '127.0.0.1', port: target.port } }));
    const ws = await connectWs(proxy.url);
    ws.send('GET / HTTP/1.1\r\n\r\n');
    ws.send(Buffer.from([0, 0xff]));
    ws.close();
    await target.ended;
    expect(Buffer.concat(target.received[0]!).toString('latin1')).toBe('GET / HTTP/1.1\r\n\r\n\x00\xff');
  });

  it('always connects to the target fixed at start, whatever URL the client uses', async () => {
    const target = await startTarget(false);
    track(target.server);
    const elsewhere = await startTarget(false);
    track(elsewhere.server);
    const proxy = track(await startProxy({ target: { host: '127.0.0.1', port: target.port } }));
    const ws = await connectWs(`${proxy.url}connect?host=127.0.0.1&port=${elsewhere.port}`);
    ws.send(Buffer.from('x'));
    ws.close();
    await target.ended;
    expect(target.sockets).toHaveLength(1);
    expect(elsewhere.sockets).toHaveLength(0);
  });

  it("the target's close ends the WebSocket with 1000, after the last bytes", async () => {
    const server = track(
      createServer((s) => {
        s.end(Buffer.from('last words'));
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = track(await startProxy({ target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port } }));
    const ws = await connectWs(proxy.url);
    const got = receiveBytes(ws, 10);
    expect(await closedCode(ws)).toBe(1000);
    expect((await got).toString()).toBe('last words');
  });

  it("the WebSocket's close ends the TCP connection", async () => {
    const target = await startTarget(false);
    track(target.server);
    const proxy = track(await startProxy({ target: { host: '127.0.0.1', port: target.port } }));
    const ws = await connectWs(proxy.url);
    ws.send(Buffer.from('bye'));
    ws.close(1000);
    await target.ended;
    expect(Buffer.concat(target.received[0]!).toString()).toBe('bye');
    await expect.poll(() => proxy.connections).toBe(0);
  });

  it('an unreachable target closes the WebSocket with 1011 and reports the error', async () => {
    const errors: Error[] = [];
    const proxy = track(await startProxy({ target: { host: '127.0.0.1', port: await freePort() }, onError: (e) => errors.push(e) }));
    const ws = await connectWs(proxy.url);
    expect(await closedCode(ws)).toBe(1011);
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ECONNREFUSED']);
  });

  it('refuses an Origin outside allowedOrigins', async () => {
    const target = await startTarget(false);
    track(target.server);
    const proxy: Proxy = track(await startProxy({ target: { host: '127.0.0.1', port: target.port }, allowedOrigins: ['http://127.0.0.1:8080'] }));
    await expect(connectWs(proxy.url, { origin: 'http://evil.test' })).rejects.toThrow('HTTP 401');
    await expect(connectWs(proxy.url, { origin: 'http://127.0.0.1:8080' })).resolves.toBeInstanceOf(WebSocket);
  });

  it('close() ends every open pair and stops listening', async () => {
    const target = await startTarget(false);
    track(target.server);
    const proxy = await startProxy({ target: { host: '127.0.0.1', port: target.port } });
    const ws = await connectWs(proxy.url);
    await expect.poll(() => target.sockets.length).toBe(1);
    const code = closedCode(ws);
    await proxy.close();
    expect(await code).toBe(1006);
    await expect(connectWs(proxy.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});
