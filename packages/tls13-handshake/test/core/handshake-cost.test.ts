/**
 * What a handshake computes (issue 19): each transcript message is hashed
 * once (a running hash, RFC 8446 §4.4.1), the Early Secret without a PSK and
 * its "derived" salt are constants (RFC 8448 §3), a PSK's Early Secret is
 * made once per side, and the exporter master secret (RFC 8446 §7.5) only
 * when keys are exported or logged. Counted through a provider that records its calls, on
 * both providers; the handshakes still agree on every secret.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeNodeCrypto } from '../../src/crypto/make-node.js';
import { nobleCrypto, type HandshakeCrypto, type HandshakeEvent, type SessionTicket } from '../../src/index.js';
import { Transcript } from '../../src/machine.js';
import { runPair } from './pair.js';

interface Counts {
  hmac: number;
  hashedBytes: number;
}

/** `base`, counting HMACs and the bytes it hashes (whole or through running hashes). */
function counting(base: HandshakeCrypto): { crypto: HandshakeCrypto; n: Counts } {
  const n: Counts = { hmac: 0, hashedBytes: 0 };
  const crypto: HandshakeCrypto = {
    ...base,
    hmac: (alg, key, data) => (n.hmac++, base.hmac(alg, key, data)),
    hash: (alg, data) => ((n.hashedBytes += data.length), base.hash(alg, data)),
    ...(base.runningHash && {
      runningHash: (alg) => {
        const h = base.runningHash!(alg);
        return { update: (d) => ((n.hashedBytes += d.length), h.update(d)), digest: (x) => ((n.hashedBytes += x?.length ?? 0), h.digest(x)) };
      },
    }),
  };
  return { crypto, n };
}

const profile = { kind: 'tls' } as const;
const ticketKey = new Uint8Array(32).fill(7);
const secrets = (es: HandshakeEvent[]) => es.flatMap((e) => (e.type === 'keys' ? [Buffer.from(e.secret).toString('hex')] : []));
const handshakeBytes = (es: HandshakeEvent[]) => es.reduce((a, e) => a + (e.type === 'handshake-data' ? e.bytes.length : 0), 0);

/** The session ticket the client of a finished pair received. */
const ticketOf = (r: ReturnType<typeof pair>): SessionTicket => (r.clientEvents.find((e) => e.type === 'session-ticket') as Extract<HandshakeEvent, { type: 'session-ticket' }>).ticket;

function pair(crypto: HandshakeCrypto, resume?: SessionTicket) {
  return runPair({ profile, alpn: ['h2'], crypto, verify: 'none', serverName: 's', ...(resume && { resume }) }, { profile, alpn: ['h2'], crypto, ticketKey });
}

describe.each([
  ['node', makeNodeCrypto(nodeCrypto)],
  ['noble', nobleCrypto],
])('what a handshake computes (%s provider)', (_name, base) => {
  it('hashes each transcript message once: the bytes hashed are about the transcript, not a multiple of it', () => {
    const { crypto, n } = counting(base);
    const r = pair(crypto);
    // Both sides' transcripts: every handshake message either side sent (the NewSessionTicket is outside it).
    const transcript = handshakeBytes(r.clientEvents) + handshakeBytes(r.serverEvents);
    expect(n.hashedBytes).toBeGreaterThan(0);
    // Each side hashes the transcript once (2×); before the running hash each hashed all of it again at
    // every Transcript-Hash (5–6 times a side).
    expect(n.hashedBytes).toBeLessThan(2.2 * transcript);
  });

  it('a full handshake pair makes at most 26 HMACs (the no-PSK Early Secret and its salt are constants; no exporter secret unless asked)', () => {
    pair(base); // the constants are worked out once per hash, by whichever handshake comes first
    const { crypto, n } = counting(base);
    pair(crypto);
    expect(n.hmac).toBeLessThanOrEqual(26); // 32 when each side worked them out and made its exporter secret unasked
  });

  it('a resumed pair makes each side’s PSK Early Secret once; its secrets match a full recomputation', () => {
    const first = pair(base);
    const ticket = first.clientEvents.find((e) => e.type === 'session-ticket')!;
    const { crypto, n } = counting(base);
    const r = pair(crypto, (ticket as Extract<HandshakeEvent, { type: 'session-ticket' }>).ticket);
    expect(r.clientEvents.find((e) => e.type === 'complete')).toMatchObject({ resumed: true });
    expect(new Set(secrets(r.clientEvents))).toEqual(new Set(secrets(r.serverEvents)));
    expect(n.hmac).toBeLessThanOrEqual(36); // 41 when each side made it twice and its exporter secret unasked
  });
});

describe('the exporter master secret on first use', () => {
  it('exports the same keys on both sides after the handshake, and logs EXPORTER_SECRET at once with a key log', () => {
    const lines: string[] = [];
    const r = runPair({ profile, alpn: ['h2'], verify: 'none', serverName: 's', keylog: (l) => lines.push(l) }, { profile, alpn: ['h2'], ticketKey });
    expect(lines.filter((l) => l.startsWith('EXPORTER_SECRET '))).toHaveLength(1);
    const ctx = Uint8Array.of(1, 2);
    expect(r.client.exportKeyingMaterial('EXPORTER-t', ctx, 32)).toEqual(r.server.exportKeyingMaterial('EXPORTER-t', ctx, 32));
    const plain = pair(makeNodeCrypto(nodeCrypto));
    expect(plain.client.exportKeyingMaterial('EXPORTER-t', ctx, 32)).toEqual(plain.server.exportKeyingMaterial('EXPORTER-t', ctx, 32));
    expect(plain.client.exportKeyingMaterial('EXPORTER-t', ctx, 32)).not.toEqual(r.client.exportKeyingMaterial('EXPORTER-t', ctx, 32));
  });
});

describe('Transcript', () => {
  const crypto = makeNodeCrypto(nodeCrypto);
  const msgs = [Uint8Array.of(1, 0, 0, 1, 7), Uint8Array.of(2, 0, 0, 2, 8, 9), Uint8Array.of(8, 0, 0, 0)];
  const whole = (parts: Uint8Array[], alg: 'sha256' | 'sha384') => new Uint8Array(nodeCrypto.createHash(alg).update(Buffer.concat(parts)).digest());

  it('lets go of the transcript (messages and running hash) once the handshake is over: a connection holds it for its whole life', () => {
    for (const r of [pair(crypto), pair(crypto, ticketOf(pair(crypto)))]) {
      for (const side of [r.client, r.server]) {
        expect(side.state).toBe('complete');
        expect((side as unknown as { transcript: Transcript }).transcript.held).toBe(0);
      }
    }
  });

  it('gives Transcript-Hash of the messages so far at every point, with or without an extra piece, for either hash', () => {
    const t = new Transcript();
    const seen: Uint8Array[] = [];
    for (const m of msgs) {
      t.add(m);
      seen.push(m);
      expect(t.hash(crypto, 0x1301)).toEqual(whole(seen, 'sha256'));
      expect(t.hashWith(crypto, 0x1301, Uint8Array.of(5))).toEqual(whole([...seen, Uint8Array.of(5)], 'sha256'));
      expect(t.hash(crypto, 0x1301)).toEqual(whole(seen, 'sha256')); // the extra piece did not stay
    }
    // Another suite's hash: started over from the kept messages.
    expect(t.hash(crypto, 0x1302)).toEqual(whole(msgs, 'sha384'));
  });

  it('after an HRR starts again from message_hash(Hash(ClientHello1)) (RFC 8446 §4.4.1)', () => {
    const t = new Transcript();
    t.add(msgs[0]!);
    t.hash(crypto, 0x1301);
    t.rewriteForHrr(crypto, 0x1301);
    t.add(msgs[1]!);
    const h1 = whole([msgs[0]!], 'sha256');
    expect(t.hash(crypto, 0x1301)).toEqual(whole([Uint8Array.of(254, 0, 0, 32), h1, msgs[1]!], 'sha256'));
  });

  it('without runningHash in the provider, hashes the kept messages whole', () => {
    const { runningHash: _, ...plain } = crypto;
    const t = new Transcript();
    for (const m of msgs) t.add(m);
    expect(t.hash(plain, 0x1301)).toEqual(whole(msgs, 'sha256'));
  });
});
