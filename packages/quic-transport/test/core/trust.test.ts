/** Certificate trust for clients: a CA file (trustAnchors), SPKI pinning (verifier), exactly one policy. */
import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Endpoint, pinSpkiSha256, type ClientTlsSettings } from '../../src/index.js';
import { Collector } from '../sim/apps.js';
import { fixture, Network, SERVER_PATH } from '../sim/network.js';

const pki = (n: string) => fixture(`pki/${n}`);
const ROOT_A = pki('root-a.der');
const ROOT_B = pki('root-b.der');

/** A handshake against a server presenting leaf (+ intermediate); the client's close code, or 'ok'. */
function handshake(tls: Partial<ClientTlsSettings>, leaf = 'leaf'): string {
  const server = new Endpoint({ server: { tls: { certificateChain: [pki(`${leaf}.der`), pki('inter.der')], privateKey: pki(`${leaf}.key.der`), alpn: ['test'] } } });
  // Virtual time for the protocol, calendar time for certificate validity.
  const client = new Endpoint({ hooks: { wallClock: () => Date.UTC(2030, 0, 1) } });
  const net = new Network(client, server);
  const c = client.connect(0, SERVER_PATH, { serverName: 'server.test', alpn: ['test'], ...tls } as ClientTlsSettings);
  const col = new Collector(c);
  net.runUntil(() => {
    col.pump(net.now);
    return c.handshakeInfo !== undefined || c.isClosed;
  }, 10_000);
  const closed = col.closed();
  return c.handshakeInfo ? 'ok' : closed?.type === 'closed' ? `0x${closed.info.code.toString(16)} ${closed.info.reason}` : 'stuck';
}

const spkiPin = (der: Uint8Array) =>
  createHash('sha256')
    .update(new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');

describe('client trust policies', () => {
  it('trustAnchors (a CA file): a chain to the anchor with the right name is accepted', () => {
    expect(handshake({ trustAnchors: [ROOT_A] })).toBe('ok');
  });

  it('trustAnchors: another CA → CRYPTO_ERROR unknown_ca (0x130); the wrong name → a certificate alert; an expired leaf → certificate_expired (0x12d)', () => {
    expect(handshake({ trustAnchors: [ROOT_B] })).toMatch(/^0x130 /);
    expect(handshake({ trustAnchors: [ROOT_A], serverName: 'other.test' })).toMatch(/^0x1(2a|2e|2b) .*other\.test/);
    expect(handshake({ trustAnchors: [ROOT_A] }, 'leaf-expired')).toMatch(/^0x12d /);
  });

  it('verifier: SPKI SHA-256 pinning accepts the pinned key and refuses another (bad_certificate 0x12a)', () => {
    expect(handshake({ verifier: pinSpkiSha256([spkiPin(pki('leaf.der'))]) })).toBe('ok');
    expect(handshake({ verifier: pinSpkiSha256([spkiPin(ROOT_B)]) })).toMatch(/^0x12a /);
  });

  it('one policy: none, or two at once, is a TypeError at connect', () => {
    expect(() => handshake({})).toThrow(/say how to check the server's certificate/);
    expect(() => handshake({ trustAnchors: [ROOT_A], verifyPeer: 'none' })).toThrow(/trustAnchors are only used by verify: 'chain'/);
    expect(() => handshake({ verify: 'none', verifier: pinSpkiSha256([spkiPin(ROOT_B)]) })).toThrow(/give verify alone/);
  });

  it("verify: 'chain' with trustAnchors is what trustAnchors alone means", () => {
    expect(handshake({ trustAnchors: [ROOT_A], verify: 'chain' })).toBe('ok');
    expect(() => handshake({ verify: 'chain' })).toThrow(/trustAnchors/);
  });
});
