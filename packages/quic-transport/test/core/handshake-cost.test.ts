import { defaultProvider, type CryptoProvider } from '@tsquic/quic-crypto-keys';
import * as wire from '@tsquic/quic-wire';
import { defaultCrypto, type SessionTicket } from '@tsquic/tls13-handshake';
import { describe, expect, it, vi } from 'vitest';
import { Endpoint } from '../../src/core/index.js';
import { resetTokenFunction } from '../../src/core/stateless.js';
import { closingPairs } from '../sim/handshake-pairs.js';
import { Network, SERVER_PATH, serverTls } from '../sim/network.js';

// Counts transport-parameter decodes; every call goes through to quic-wire's own.
vi.mock('@tsquic/quic-wire', async (original) => {
  const m = await original<typeof import('@tsquic/quic-wire')>();
  return { ...m, decodeTransportParameters: vi.fn(m.decodeTransportParameters) };
});

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The default provider, recording every AEAD and header-protection key it is asked to prepare. */
function countingProvider(): { provider: CryptoProvider; keys: string[] } {
  const base = defaultProvider();
  const keys: string[] = [];
  const provider: CryptoProvider = {
    name: base.name,
    aead: (alg, key) => (keys.push(`aead ${alg} ${hex(key)}`), base.aead(alg, key)),
    headerProtection: (alg, key) => (keys.push(`hp ${alg} ${hex(key)}`), base.headerProtection(alg, key)),
  };
  return { provider, keys };
}

function handshake(serverHooks: { packetCrypto: CryptoProvider }) {
  const server = new Endpoint({ server: { tls: serverTls() }, hooks: serverHooks });
  const client = new Endpoint({});
  const net = new Network(client, server, {});
  const c = client.connect(0, SERVER_PATH, TLS);
  expect(net.runUntil(() => c.state === 'established' && [...server.connections][0]?.state === 'established', 5000)).toBe(true);
  return { net, server, client, c };
}

describe('what a server handshake costs', () => {
  it('derives each key once: the Initial keys of the check of the first Initial are the connection’s (RFC 9001 §5.2)', () => {
    const { provider, keys } = countingProvider();
    handshake({ packetCrypto: provider });
    // Initial, Handshake and 1-RTT keys, both directions: an AEAD key and a header-protection key each.
    expect(keys.filter((k) => k.startsWith('aead aes-128-gcm')).length).toBeGreaterThanOrEqual(6);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('packets opened per handshake (RFC 9001 §5.3)', () => {
  it('the server opens the client’s first Initial once: its endpoint’s check opens it, the connection reads that plaintext', () => {
    const base = defaultProvider();
    const opened: string[] = [];
    const provider: CryptoProvider = {
      name: base.name,
      headerProtection: (alg, key) => base.headerProtection(alg, key),
      aead: (alg, key) => {
        const a = base.aead(alg, key);
        return { seal: (...x) => a.seal(...x), sealInPlace: (...x) => a.sealInPlace(...x), open: (n, aad, sealed) => (opened.push(hex(n) + hex(sealed)), a.open(n, aad, sealed)) };
      },
    };
    const server = new Endpoint({ server: { tls: serverTls() }, hooks: { packetCrypto: provider } });
    const client = new Endpoint({});
    const net = new Network(client, server, {});
    const c = client.connect(0, SERVER_PATH, TLS);
    expect(net.runUntil(() => c.state === 'established' && [...server.connections][0]?.state === 'established', 5000)).toBe(true);
    // Every packet the server received opened, each once (the first Initial: twice before, check and connection).
    expect(opened.length).toBeGreaterThanOrEqual(2);
    expect(new Set(opened).size).toBe(opened.length);
    expect([...server.connections][0]!.getStats().packetsReceived).toBe(opened.length);
  });
});

describe('transport parameters per handshake', () => {
  it('each side decodes its peer’s once: the server reads the ClientHello’s for version negotiation (RFC 9368 §4) and applies the same decode', () => {
    const decode = vi.mocked(wire.decodeTransportParameters);
    decode.mockClear();
    const { c } = handshake({ packetCrypto: defaultProvider() });
    expect(c.remoteTransportParameters).toBeDefined();
    expect(decode.mock.calls.map((a) => a[1]).sort()).toEqual(['client', 'server']);
  });
});

describe('datagrams per handshake', () => {
  /** Datagrams each side sends from connect until 200 ms after the client holds a ticket and is confirmed (5 ms each way). */
  function lifetime() {
    const server = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(9) } } });
    const client = new Endpoint({});
    const net = new Network(client, server, { latencyMs: 5 });
    const c = client.connect(0, SERVER_PATH, TLS);
    let ticket = false;
    const drain = () => {
      for (let e = c.pollEvent(); e; e = c.pollEvent()) ticket ||= e.type === 'session-ticket';
      return c.handshakeConfirmed && ticket;
    };
    expect(net.runUntil(drain, 5000)).toBe(true);
    net.runUntil(() => (drain(), false), 200);
    return { ...net.sent };
  }

  it('a short connection sends no PMTU probe, and no ACK-only packet is made ack-eliciting by ACK_FREQUENCY: server 2 datagrams, client 3', () => {
    // Server: Initial + Handshake flight; HANDSHAKE_DONE, NewSessionTicket, NEW_TOKEN, NEW_CONNECTION_IDs, ACK_FREQUENCY and
    // the ACK in one. Client: Initial; the ACKs, Finished and its NEW_CONNECTION_IDs; the ACK of the server's last.
    // Before: a PMTU probe each way and the ACK of each (PROBE_AFTER_BYTES), and the client's ACK carrying ACK_FREQUENCY,
    // which the server acknowledged: server 4, client 4.
    expect(lifetime()).toEqual({ server: 2, client: 3 });
  });
});

describe('a client that closes as soon as it is ready (RFC 9000 §10.2, RFC 9002 §5)', () => {
  it('acknowledges the server’s Handshake flight in its close, so the server drains for three PTOs of the path’s RTT, not of the initial 333 ms', () => {
    const server = new Endpoint({ server: { tls: serverTls() } });
    const client = new Endpoint({});
    const net = new Network(client, server, { latencyMs: 5 });
    const c = client.connect(0, SERVER_PATH, TLS);
    // Closed in the turn that completes the client's handshake, before anything is sent: its Finished leaves with the close.
    const handle = client.handleDatagram.bind(client);
    client.handleDatagram = (now, ...rest) => {
      const r = handle(now, ...rest);
      if (c.state === 'established') c.close(now);
      return r;
    };
    expect(net.runUntil(() => c.state !== 'handshake' && c.state !== 'established', 5000)).toBe(true);
    const s = [...server.connections][0]!;
    expect(net.runUntil(() => s.state === 'draining', 100)).toBe(true);
    expect(s.handshakeInfo).toBeDefined();
    const drainedAt = net.now;
    // The server's one RTT sample (10 ms round trip) came with the close.
    expect(s.getStats().smoothedRtt).toBeLessThan(20);
    expect(net.runUntil(() => !server.connections.has(s), 1000)).toBe(true);
    // Three PTOs of a 10 ms path (~10 + 4 × 5 + max_ack_delay 25 ms each, ~165 ms here) — before, without a
    // sample, 3 × (333 + 4 × 166.5 + 25) ≈ 3 s, the whole connection held that long.
    expect(net.now - drainedAt).toBeLessThan(300);
  });
});

describe('node:crypto objects per handshake', () => {
  it('a full handshake whose client closes at once: no NEW_TOKEN token and no next-generation 1-RTT read key on a side that never reads a 1-RTT packet — packet-key derivations (quic-crypto-keys, RFC 9001 §5.1, §5.2) of 15 HMACs on the server, 18 on the client', () => {
    const nc = process.getBuiltinModule('node:crypto');
    const server = new Endpoint({ server: { tls: serverTls() } });
    const client = new Endpoint({});
    const net = new Network(client, server, { latencyMs: 5 });
    // Warm the one-time derivations (the Early Secret of a handshake without PSK is a constant, made once).
    const warm = client.connect(0, SERVER_PATH, TLS);
    expect(net.runUntil(() => warm.state === 'established', 5000)).toBe(true);
    warm.close(net.now);
    expect(net.runUntil(() => server.connections.size === 0 && client.connections.size === 0, 5000)).toBe(true);
    const hmac = vi.spyOn(nc, 'createHmac');
    const seal = vi.spyOn(server.tokens, 'seal');
    try {
      const counts = { client: 0, server: 0 };
      const count = <T>(side: 'client' | 'server', f: () => T): T => {
        const before = hmac.mock.calls.length;
        const r = f();
        counts[side] += hmac.mock.calls.length - before;
        return r;
      };
      const c = count('client', () => client.connect(net.now, SERVER_PATH, TLS));
      for (const [side, ep] of [
        ['client', client],
        ['server', server],
      ] as const) {
        const handle = ep.handleDatagram.bind(ep);
        ep.handleDatagram = (now, ...rest) =>
          count(side, () => {
            const r = handle(now, ...rest);
            if (side === 'client' && c.state === 'established') c.close(now);
            return r;
          });
        const poll = ep.pollTransmit.bind(ep);
        ep.pollTransmit = (now) => count(side, () => poll(now));
      }
      expect(net.runUntil(() => server.connections.size === 0 && client.connections.size === 0, 5000)).toBe(true);
      // Before: 18 and 21 (the next 1-RTT read key, "quic ku" + key + iv, made whether or not a 1-RTT packet came).
      expect(counts).toEqual({ server: 15, client: 18 });
      // The NEW_TOKEN token (RFC 9000 §8.1.3) is sealed when a packet takes it: this server never sent one (before: 1).
      expect(seal).not.toHaveBeenCalled();
    } finally {
      hmac.mockRestore();
      seal.mockRestore();
    }
  });
});

describe('randomness per handshake', () => {
  it('every connection draws from its endpoint’s pool: ten handshakes make no platform call each (TLS randoms, connection IDs, ticket nonces)', () => {
    const server = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(9) } } });
    const client = new Endpoint({});
    const net = new Network(client, server, {});
    const platform = globalThis.crypto.getRandomValues;
    let calls = 0;
    globalThis.crypto.getRandomValues = function (this: Crypto, b) {
      calls++;
      return platform.call(this, b);
    } as Crypto['getRandomValues'];
    try {
      for (let i = 0; i < 10; i++) {
        const c = client.connect(net.now, SERVER_PATH, TLS);
        expect(net.runUntil(() => c.state === 'established', 5000)).toBe(true);
        c.close(net.now);
        net.step();
      }
    } finally {
      globalThis.crypto.getRandomValues = platform;
    }
    // Each pool holds 4 KB: a refill or two in all, not one call per random (5 a pair before, 50 here).
    expect(calls).toBeLessThanOrEqual(4);
  });
});

describe('stateless reset tokens (RFC 9000 §10.3.2)', () => {
  const key = new Uint8Array(32).fill(7);
  const cid = (n: number, last = 0) => Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? last : i + 1));

  it('are 16 bytes, a function of the key and the whole connection ID, whatever its length', () => {
    const token = resetTokenFunction(key);
    const again = resetTokenFunction(key.slice());
    const seen = new Set<string>();
    for (const n of [0, 1, 8, 15, 16, 17, 20]) {
      for (const last of [0, 1]) {
        const t = token(cid(n, last));
        expect(t.length).toBe(16);
        expect(again(cid(n, last))).toEqual(t);
        seen.add(hex(t));
      }
    }
    // Every length and every last byte (past the first AES block too) gives another token; so does another key.
    expect(seen.size).toBe(13); // the empty ID has no last byte: 7 lengths × 2 − 1
    expect(resetTokenFunction(new Uint8Array(32).fill(8))(cid(8))).not.toEqual(token(cid(8)));
  });
});

describe('what a connection keeps of the packets it received', () => {
  it('copies connection IDs and reset tokens out of the packet (node:crypto opens packets into Buffers, whose slice() is a view)', () => {
    const { net, c } = handshake({ packetCrypto: defaultProvider() });
    // The handshake's token and those of NEW_CONNECTION_ID frames.
    expect(net.runUntil(() => c.peerResetTokens.length > 1, 2000)).toBe(true);
    const tokens = c.peerResetTokens;
    // A view would keep the whole decrypted payload alive for the connection's life.
    for (const t of tokens) expect(t.buffer.byteLength).toBe(16);
  });
});

describe('connection IDs per handshake (RFC 9000 §5.1.1)', () => {
  it('each side gives the other one spare ID at completion, not its whole active_connection_id_limit; the rest follow when the peer moves (§9.5)', () => {
    const { net, server, c } = handshake({ packetCrypto: defaultProvider() });
    net.runUntil(() => false, 200);
    const s = [...server.connections][0]!;
    // Our default active_connection_id_limit is 4: three NEW_CONNECTION_IDs each way before, one now.
    expect(s.localCids.peerLimit).toBe(4);
    expect([s.localCids.all().length, c.localCids.all().length]).toEqual([2, 2]);
    // The client's address changes: once the server follows it, the client holds its limit's worth again.
    net.clientPath = { address: '10.0.0.7', port: 7000 };
    c.write(c.openStream('bidi')!, Uint8Array.of(1), true);
    net.runUntil(() => false, 500);
    expect(s.remoteAddress).toEqual({ address: '10.0.0.7', port: 7000 });
    expect(s.localCids.all().length).toBe(4);
    expect(c.state).toBe('established');
  });
});

describe('what a handshake allocates', () => {
  it('encodes no string: ALPN and host names, the CertificateVerify labels, a ticket’s ALPN and an empty close reason are not encoded per message', () => {
    const run = closingPairs();
    run(1);
    const encode = vi.spyOn(TextEncoder.prototype, 'encode');
    try {
      run(3);
      // Before: 10 a handshake (server_name and ALPN in the ClientHello, ALPN in EncryptedExtensions, the
      // CertificateVerify label, the ticket's ALPN; the client's empty close reason, sized and written, in each of its
      // close packets).
      expect(encode).not.toHaveBeenCalled();
    } finally {
      encode.mockRestore();
    }
  });
});

describe('HMACs per handshake, full and resumed (RFC 8446 §7.1, §4.2.11.2; RFC 9001 §5.1)', () => {
  it('a resumed handshake costs each side 5 HMACs more than a full one — the PSK’s Early Secret, its binder key, the binder’s finished key and HMAC, and the "derived" salt, no longer a constant — and nothing else', () => {
    const nc = process.getBuiltinModule('node:crypto');
    const tls = defaultCrypto();
    const server = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(9) } } });
    const client = new Endpoint({});
    const net = new Network(client, server, { latencyMs: 5 });
    let ticket: SessionTicket | undefined;
    const first = client.connect(0, SERVER_PATH, TLS);
    expect(
      net.runUntil(() => {
        for (let e = first.pollEvent(); e; e = first.pollEvent()) if (e.type === 'session-ticket') ticket = e.ticket;
        return ticket !== undefined;
      }, 5000),
    ).toBe(true);
    first.close(net.now);
    expect(net.runUntil(() => server.connections.size === 0 && client.connections.size === 0, 5000)).toBe(true);
    // Packet-key HMACs (quic-crypto-keys, node:crypto's createHmac) and key-schedule HMACs (the TLS provider's hmac).
    const packetKeys = vi.spyOn(nc, 'createHmac');
    const keySchedule = vi.spyOn(tls, 'hmac');
    const hmacs = () => packetKeys.mock.calls.length + keySchedule.mock.calls.length;
    const counts: Record<string, { client: number; server: number }> = {};
    try {
      for (const mode of ['full', 'resumed'] as const) {
        const n = (counts[mode] = { client: 0, server: 0 });
        const on = <T>(side: 'client' | 'server', f: () => T): T => {
          const before = hmacs();
          try {
            return f();
          } finally {
            n[side] += hmacs() - before;
          }
        };
        const c = on('client', () => client.connect(net.now, SERVER_PATH, { ...TLS, ...(mode === 'resumed' ? { sessionTicket: ticket } : {}) }));
        const saved = [client.handleDatagram, server.handleDatagram, client.pollTransmit, server.pollTransmit] as const;
        client.handleDatagram = (now, ...rest) =>
          on('client', () => {
            const r = saved[0].call(client, now, ...rest);
            // Closed in the turn that completes its handshake, as the bench's client does.
            if (c.state === 'established') c.close(now);
            return r;
          });
        server.handleDatagram = (now, ...rest) => on('server', () => saved[1].call(server, now, ...rest));
        client.pollTransmit = (now) => on('client', () => saved[2].call(client, now));
        server.pollTransmit = (now) => on('server', () => saved[3].call(server, now));
        try {
          expect(net.runUntil(() => server.connections.size === 0 && client.connections.size === 0, 5000)).toBe(true);
        } finally {
          [client.handleDatagram, server.handleDatagram, client.pollTransmit, server.pollTransmit] = saved;
        }
        expect(c.handshakeInfo?.resumed).toBe(mode === 'resumed');
      }
    } finally {
      packetKeys.mockRestore();
      keySchedule.mockRestore();
    }
    // Full: 15 packet-key + 13 key-schedule HMACs on the server (the resumption PSK of its ticket included), 18 + 12 on the client.
    expect(counts).toEqual({ full: { server: 28, client: 30 }, resumed: { server: 33, client: 35 } });
  });
});
