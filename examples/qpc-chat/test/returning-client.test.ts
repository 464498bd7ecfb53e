/**
 * The chat's transport-level behaviour, in-process over loopback QUIC with a
 * UDP relay (test/relay.ts) between client and server:
 * - a returning client (a ticket in its data directory) resumes and sends its
 *   first calls as 0-RTT data: the first history response arrives one round
 *   trip after its first packet, where a first-time client needs two;
 * - `Send` is never carried out on the strength of a first flight alone (what
 *   a replay is): the server waits for the handshake;
 * - a watch keeps its push stream through a NAT rebinding and an active
 *   migration;
 * - issue 16: a client whose CONNECTION_CLOSE was lost is not locked out of
 *   its nickname when it comes back (its owner token).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RpcError, StatusCode } from '@tsquic/rpc-framing';
import { afterEach, describe, expect, test } from 'vitest';
import { CLIENT_STATE_FILE } from '../src/client-state.js';
import { connect, type ChatConnection } from '../src/client.js';
import type { ClientConfig } from '../src/config.js';
import { serverConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { cleanUp, tempDir } from './harness.js';
import { UdpRelay } from './relay.js';

/** Round-trip time the relay adds (ms); TSQUIC_RELAY_RTT_MS to try others. */
const RTT = Number(process.env.TSQUIC_RELAY_RTT_MS ?? 100);

let srv: RunningServer | undefined;
const clients: ChatConnection[] = [];
const relays: UdpRelay[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const r of relays.splice(0)) r.close();
  await srv?.close();
  srv = undefined;
  await cleanUp();
});

interface Env {
  dir: string;
  /** A client configuration with its own data directory (`name`), direct or through `relay`. */
  config(name: string, relay?: UdpRelay): ClientConfig;
  relay(delayMs?: number): Promise<UdpRelay>;
  client(config: ClientConfig): Promise<ChatConnection>;
}

async function setUp(): Promise<Env> {
  const dir = await tempDir();
  srv = await startServer(serverConfig({ listen: '127.0.0.1:0', tlsCert: join(dir, 'c.der'), tlsKey: join(dir, 'k.der'), dataDir: join(dir, 'data') }, {}));
  const direct = `127.0.0.1:${srv.address.port}`;
  return {
    dir,
    config: (name, relay) => ({ server: relay ? `127.0.0.1:${relay.address.port}` : direct, serverName: 'localhost', caCert: join(dir, 'c.der'), dataDir: join(dir, name) }),
    async relay(delayMs = 0) {
      const r = await UdpRelay.start({ target: srv!.address, delayMs });
      relays.push(r);
      return r;
    },
    async client(config) {
      const c = await connect(config);
      clients.push(c);
      return c;
    },
  };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Connects through `relay` (one client at a time) and times the first history call from the client's first packet. */
async function timedHistory(env: Env, dataDir: string, relay: UdpRelay): Promise<{ ms: number; info: { resumed: boolean; earlyData: string }; texts: string[] }> {
  relay.firstFromClientAt = undefined;
  const c = await connect(env.config(dataDir, relay));
  clients.push(c);
  const res = await c.chat.history({ room: 'lobby' });
  const ms = performance.now() - relay.firstFromClientAt!;
  const info = await c.ready;
  await c.close();
  clients.splice(clients.indexOf(c), 1);
  return { ms, info, texts: res.messages.map((m) => m.text) };
}

describe('a returning client', () => {
  test(`gets its first history response one round trip after its first packet (0-RTT, relay RTT ${RTT} ms)`, async () => {
    const env = await setUp();
    const writer = await env.client(env.config('writer'));
    await writer.register('ann');
    await writer.chat.join({ room: 'lobby' });
    await writer.send('lobby', 'hello from before');

    const relay = await env.relay(RTT / 2);
    const first = await timedHistory(env, 'reader', relay);
    expect(first.info).toMatchObject({ resumed: false, earlyData: 'not-offered' });
    // The ticket is kept in the data directory, readable by its owner only.
    expect((await stat(join(env.dir, 'reader', CLIENT_STATE_FILE))).mode & 0o777).toBe(0o600);
    const kept = Object.values(JSON.parse(await readFile(join(env.dir, 'reader', CLIENT_STATE_FILE), 'utf8')) as Record<string, { ticket?: object }>);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.ticket).toBeDefined();

    const second = await timedHistory(env, 'reader', relay);
    expect(second.info).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(second.texts).toEqual(['hello from before']);
    // A request that waits for the handshake needs two round trips at least; 0-RTT needs one.
    expect(first.ms).toBeGreaterThanOrEqual(2 * RTT);
    expect(second.ms).toBeGreaterThanOrEqual(RTT);
    expect(second.ms).toBeLessThan(2 * RTT);
    console.log(`first history response after the first packet, relay RTT ${RTT} ms: full handshake ${first.ms.toFixed(1)} ms, resumed with 0-RTT ${second.ms.toFixed(1)} ms`);

    // Each connection leaves a fresh ticket behind (a ticket is offered once): the third run resumes too.
    const third = await timedHistory(env, 'reader', relay);
    expect(third.info).toMatchObject({ resumed: true, earlyData: 'accepted' });
  });

  test('cannot post from its first flight alone: a send waits for the handshake (a replayed flight never completes one)', async () => {
    const env = await setUp();
    const relay = await env.relay(5);
    await timedHistory(env, 'bob', relay); // leaves a ticket
    // Only the client's first flight reaches the server: everything it sends once the server has answered is lost,
    // so the handshake never completes — what a replay of that flight looks like to the server.
    relay.fromServer = 0;
    relay.dropFromClient = () => relay.fromServer > 0;
    const c = await connect(env.config('bob', relay));
    clients.push(c);
    // All in the first flight, without waiting for anything (chat.send, not c.send, which would wait).
    const registered = c.register('bob');
    const joined = c.chat.join({ room: 'lobby' });
    const history = c.chat.history({ room: 'lobby' });
    const sent = c.chat.send({ room: 'lobby', text: 'must not be posted from 0-RTT' });
    sent.catch(() => undefined);
    await expect(registered).resolves.toMatchObject({ nick: 'bob' });
    await expect(joined).resolves.toMatchObject({ room: 'lobby', members: ['bob'] });
    await expect(history).resolves.toMatchObject({ messages: [] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(relay.dropped).toBeGreaterThan(0);
    expect(srv!.store.messageCount).toBe(0);
    expect(
      await Promise.race([
        sent.then(
          () => 'sent',
          () => 'failed',
        ),
        Promise.resolve('pending'),
      ]),
    ).toBe('pending');

    // The same first flight with the handshake allowed to complete posts exactly once.
    const direct = await env.relay();
    await timedHistory(env, 'carol', direct);
    const ok = await connect(env.config('carol', direct));
    clients.push(ok);
    const [, , res] = await Promise.all([ok.register('carol'), ok.chat.join({ room: 'lobby' }), ok.chat.send({ room: 'lobby', text: 'posted once' })]);
    expect(res.message?.text).toBe('posted once');
    expect(srv!.store.messageCount).toBe(1);
  });
});

describe('a watching client', () => {
  async function watching(env: Env, c: ChatConnection): Promise<string[]> {
    await c.register('bob');
    await c.chat.join({ room: 'lobby' });
    const sub = c.chat.watch({ room: 'lobby' });
    await sub.response;
    const seen: string[] = [];
    void (async () => {
      for await (const m of sub) seen.push(m.text);
    })().catch(() => undefined);
    await until(() => srv!.chat.watching('lobby') === 1);
    return seen;
  }

  test('keeps its push stream through a NAT rebinding', async () => {
    const env = await setUp();
    const relay = await env.relay();
    const bob = await env.client(env.config('bob', relay));
    const seen = await watching(env, bob);
    const ann = await env.client(env.config('ann'));
    await ann.register('ann');
    await ann.chat.join({ room: 'lobby' });
    await ann.send('lobby', 'before');
    await until(() => seen.length === 1);
    const before = relay.upstreamPort;
    await relay.rebind();
    expect(relay.upstreamPort).not.toBe(before);
    // bob speaks first from the new address (a rebinding is noticed when the client sends), then is pushed to.
    await bob.chat.members({ room: 'lobby' });
    await ann.send('lobby', 'after the rebinding');
    await until(() => seen.length === 2);
    expect(seen).toEqual(['before', 'after the rebinding']);
    expect(srv!.chat.watching('lobby')).toBe(1);
  });

  test('keeps its push stream through an active migration to a new local port', async () => {
    const env = await setUp();
    const bob = await env.client(env.config('bob'));
    const seen = await watching(env, bob);
    const ann = await env.client(env.config('ann'));
    await ann.register('ann');
    await ann.chat.join({ room: 'lobby' });
    expect(await bob.rebind()).toBe(1); // the old socket is closed: only the new path can carry the push
    await ann.send('lobby', 'after the migration');
    await until(() => seen.length === 1);
    expect(seen).toEqual(['after the migration']);
  });
});

describe('issue 16: a lost CONNECTION_CLOSE', () => {
  test('does not lock a returning client out of its nickname; another client still cannot take it', async () => {
    const env = await setUp();
    const relay = await env.relay();
    const gone = await connect(env.config('ann', relay));
    await gone.register('ann');
    await gone.chat.join({ room: 'lobby' });
    relay.dropFromClient = () => true; // its CONNECTION_CLOSE (and anything else) is lost
    await gone.close();
    expect(srv!.connectionCount).toBe(1); // the server still holds the old connection

    relay.dropFromClient = undefined;
    const back = await env.client(env.config('ann', relay)); // the same data directory, so the same owner token
    const t0 = Date.now();
    await expect(back.register('ann')).resolves.toMatchObject({ nick: 'ann' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await back.chat.join({ room: 'lobby' });
    expect((await back.chat.members({ room: 'lobby' })).members).toEqual(['ann']);

    const other = await env.client(env.config('someone-else'));
    const err = await other.register('ann').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(RpcError.isInstance(err) && [err.code, err.rawMessage]).toEqual([StatusCode.ALREADY_EXISTS, 'the nickname ann is taken']);
  });
});
