import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CipherSuite, KeyPhase, keysFromSecret, nextSecret, QuicVersion, type PacketKey } from '../src/index.js';
import { hex, PROVIDERS, toHex } from './providers.js';

/** HKDF-Expand-Label computed independently with node:crypto (RFC 8446 §7.1 HkdfLabel by hand). */
function nodeExpandLabel(hash: string, secret: Uint8Array, label: string, length: number): string {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  // HKDF-Expand (RFC 5869 §2.3) with node:crypto's HMAC.
  let t = Buffer.alloc(0);
  let okm = Buffer.alloc(0);
  for (let i = 1; okm.length < length; i++) {
    t = createHmac(hash, secret)
      .update(Buffer.concat([t, info, Buffer.from([i])]))
      .digest();
    okm = Buffer.concat([okm, t]);
  }
  return okm.subarray(0, length).toString('hex');
}

describe('key update (RFC 9001 §6)', () => {
  it('nextSecret is HKDF-Expand-Label(secret, "quic ku" | "quicv2 ku", "", Hash.length)', () => {
    const s256 = hex('9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b');
    expect(toHex(nextSecret(QuicVersion.V1, CipherSuite.TLS_AES_128_GCM_SHA256, s256))).toBe(nodeExpandLabel('sha256', s256, 'quic ku', 32));
    expect(toHex(nextSecret(QuicVersion.V2, CipherSuite.TLS_AES_128_GCM_SHA256, s256))).toBe(nodeExpandLabel('sha256', s256, 'quicv2 ku', 32));
    const s384 = new Uint8Array(48).fill(3);
    expect(toHex(nextSecret(QuicVersion.V1, CipherSuite.TLS_AES_256_GCM_SHA384, s384))).toBe(nodeExpandLabel('sha384', s384, 'quic ku', 48));
  });

  for (const p of PROVIDERS) {
    it(`a full update cycle between two endpoints (${p.name})`, () => {
      const c2s = new Uint8Array(32).fill(1);
      const s2c = new Uint8Array(32).fill(2);
      const client = new KeyPhase(p, QuicVersion.V1, 0x1301, { read: s2c, write: c2s });
      const server = new KeyPhase(p, QuicVersion.V1, 0x1301, { read: c2s, write: s2c });
      const hdr = hex('40');
      const send = (from: KeyPhase, pn: number) => ({ bit: from.keyPhaseBit, pn, gen: from.writeGeneration, sealed: from.writeKey.seal(pn, hdr, Uint8Array.of(pn & 0xff)) });
      const receive = (to: KeyPhase, pkt: ReturnType<typeof send>) => {
        const k = to.readKeyFor(pkt.bit, pkt.pn);
        if (!k) return null;
        const pt = (k.key as PacketKey).open(pkt.pn, hdr, pkt.sealed);
        if (!pt) return null;
        to.onPacketOpened(k.generation, pkt.pn);
        return k.generation;
      };

      expect(receive(server, send(client, 0))).toBe('current');
      expect(client.canInitiate).toBe(true);
      client.initiate();
      expect(client.keyPhaseBit).toBe(1);
      expect(client.canInitiate).toBe(false);
      expect(() => client.initiate()).toThrow();
      const old = send(server, 1); // server still in phase 0
      const p1 = send(client, 1);
      expect(receive(server, p1)).toBe('next'); // server follows: read and write rotate
      expect(server.keyPhaseBit).toBe(1);
      expect(receive(client, old)).toBe('current');
      expect(receive(client, send(server, 2))).toBe('next'); // client's read rotates now
      // A reordered phase-0 packet from before the update still opens with the previous key…
      const late = { ...old, pn: 0 };
      late.sealed = new KeyPhase(p, QuicVersion.V1, 0x1301, { read: c2s, write: s2c }).writeKey.seal(0, hdr, Uint8Array.of(0));
      expect(receive(client, late)).toBe('previous');
      // …until it is discarded.
      client.discardPreviousReadKey();
      expect(receive(client, late)).toBeNull();
      // An ACK for a packet of the new generation allows the next update.
      client.confirmWrite(p1.gen - 1);
      expect(client.canInitiate).toBe(false);
      client.confirmWrite(p1.gen);
      expect(client.canInitiate).toBe(true);
      client.initiate();
      expect(receive(server, send(client, 5))).toBe('next');
      expect([client.keyPhaseBit, server.keyPhaseBit]).toEqual([0, 0]);
      expect(receive(client, send(server, 9))).toBe('next');
    });
  }
});

describe('1-RTT keys made when first used (RFC 9001 §6.3)', () => {
  /** The default provider, recording each AEAD and header-protection key it prepares. */
  function counting() {
    const base = PROVIDERS[0]!;
    const made: string[] = [];
    const provider = {
      ...base,
      aead: (alg: never, key: Uint8Array) => (made.push(`aead ${toHex(key)}`), base.aead(alg, key)),
      headerProtection: (alg: never, key: Uint8Array) => (made.push(`hp ${toHex(key)}`), base.headerProtection(alg, key)),
    };
    return { provider, made };
  }
  const read = new Uint8Array(32).fill(1);
  const write = new Uint8Array(32).fill(2);

  const nextRead = `aead ${nodeExpandLabel('sha256', hex(nodeExpandLabel('sha256', read, 'quic ku', 32)), 'quic key', 16)}`;

  it('a phase that never seals or opens prepares no key, not even the next read key (a server whose client closed in a Handshake packet)', () => {
    const { provider, made } = counting();
    const phase = new KeyPhase(provider, QuicVersion.V1, 0x1301, { read, write });
    expect(phase.confidentialityLimit).toBe(2 ** 23);
    expect(made).toEqual([]);
  });

  it('the first 1-RTT packet received makes the next read key along with the current one, whatever its Key Phase bit (§6.3, §9.5: ready before any update, no timing that depends on the bit)', () => {
    for (const bit of [0, 1] as const) {
      const { provider, made } = counting();
      const phase = new KeyPhase(provider, QuicVersion.V1, 0x1301, { read, write });
      void phase.readKeyFor(bit, 0);
      expect(made).toContain(nextRead);
      void phase.readKeyFor(bit ^ 1 ? 1 : 0, 1);
      expect(made.filter((m) => m === nextRead)).toHaveLength(1);
    }
  });

  it('sealing makes the write key and write header key, opening the read ones, each once and from the same secrets as before', () => {
    const { provider, made } = counting();
    const phase = new KeyPhase(provider, QuicVersion.V1, 0x1301, { read, write });
    void phase.writeKey;
    void phase.writeKey;
    void phase.writeHeader;
    void phase.writeHeader;
    expect(made).toEqual([`aead ${nodeExpandLabel('sha256', write, 'quic key', 16)}`, `hp ${nodeExpandLabel('sha256', write, 'quic hp', 16)}`]);
    void phase.readKeyFor(0, 0);
    void phase.readHeader;
    expect(made.slice(2)).toEqual([nextRead, `aead ${nodeExpandLabel('sha256', read, 'quic key', 16)}`, `hp ${nodeExpandLabel('sha256', read, 'quic hp', 16)}`]);
  });

  it('keysFromSecret (Initial, Handshake, 0-RTT) prepares each key when first asked for, once', () => {
    const { provider, made } = counting();
    const k = keysFromSecret(provider, QuicVersion.V1, 0x1301, write);
    expect(made).toEqual([]);
    expect(k.header).toBe(k.header);
    expect(made).toEqual([`hp ${nodeExpandLabel('sha256', write, 'quic hp', 16)}`]);
    expect(k.packet).toBe(k.packet);
    expect(made.slice(1)).toEqual([`aead ${nodeExpandLabel('sha256', write, 'quic key', 16)}`]);
  });

  it('header keys made after an update are still the first generation’s (§6.1: never updated), and the old packet keys are let go', () => {
    const { provider, made } = counting();
    const phase = new KeyPhase(provider, QuicVersion.V1, 0x1301, { read, write });
    const first = phase.writeKey;
    phase.initiate();
    expect(phase.writeKey).not.toBe(first);
    expect(phase.onPacketOpened('next', 3)).toBe(true);
    phase.discardPreviousReadKey();
    void phase.readHeader;
    void phase.writeHeader;
    expect(made.filter((m) => m.startsWith('hp'))).toEqual([`hp ${nodeExpandLabel('sha256', write, 'quic hp', 16)}`, `hp ${nodeExpandLabel('sha256', read, 'quic hp', 16)}`]);
    // What the phase holds, two levels down (its fields and theirs): the first write key is not among them.
    const held = Object.values(phase).flatMap((v) => (v && typeof v === 'object' && v !== provider ? [v, ...Object.values(v)] : [v]));
    expect(held.includes(first)).toBe(false);
  });

  it('a peer-initiated update before any 1-RTT packet was opened still keeps the previous read key for late packets (§6.5)', () => {
    const { provider } = counting();
    const phase = new KeyPhase(provider, QuicVersion.V1, 0x1301, { read, write });
    const peer = new KeyPhase(provider, QuicVersion.V1, 0x1301, { read: write, write: read });
    const late = peer.writeKey.seal(1, hex('40'), Uint8Array.of(7));
    peer.initiate();
    const k = phase.readKeyFor(1, 5)!;
    expect(k.generation).toBe('next');
    expect(phase.onPacketOpened('next', 5)).toBe(true);
    const prev = phase.readKeyFor(0, 1)!;
    expect(prev.generation).toBe('previous');
    expect([...prev.key.open(1, hex('40'), late)!]).toEqual([7]);
  });
});
