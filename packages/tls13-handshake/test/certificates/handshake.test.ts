/**
 * Certificate verification inside the handshake (RFC 8446 §4.4.2.4): the
 * client's default `verify: 'chain'`, verifier hooks, client certificates
 * verified by the server, the 'event' mode on both sides, and the configs
 * that are refused. Runs once per crypto provider.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription as A, allOf, chainVerifier, createClient, createServer, pinSpkiSha256, spkiSha256, trustExactly, trustOnFirstUse, type ClientConfig, type ServerChoice, type ServerConfig } from '../../src/index.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { ofType, runPair } from '../core/pair.js';
import { testProvider as crypto } from '../core/test-crypto.js';
import { NOW, pki, pkiKey } from './pki.js';

const anchors = [pki('root-a')];
const serverChain = { certificateChain: [pki('leaf'), pki('inter')], privateKey: pkiKey('leaf') };
const tls = { kind: 'tls' as const };

function connect(client: Partial<ClientConfig>, server: Partial<ServerConfig> = {}, choice: Partial<ServerChoice> = serverChain, nowMs = NOW) {
  return runPair({ profile: tls, alpn: ['h2'], crypto, trustAnchors: anchors, serverName: 'server.test', ...client } as ClientConfig, { profile: tls, alpn: ['h2'], crypto, ...server } as ServerConfig, { choose: () => choice, nowMs });
}
const clientAlert = (r: ReturnType<typeof runPair>) => ofType(r.clientEvents, 'alert')[0]?.description;
const serverAlert = (r: ReturnType<typeof runPair>) => ofType(r.serverEvents, 'alert')[0]?.description;

describe("client: verify 'chain' (the default with trustAnchors)", () => {
  it('a chain to the anchor, valid now, for the SNI name: complete', () => {
    const r = connect({});
    expect(r.client.state).toBe('complete');
    expect(ofType(r.serverEvents, 'client-hello')[0]!.serverName).toBe('server.test');
  });
  it('an IP address as serverName: checked against iPAddress SANs and not sent as SNI (RFC 6066 §3)', () => {
    const r = connect({ serverName: '127.0.0.1' });
    expect(r.client.state).toBe('complete');
    expect(ofType(r.serverEvents, 'client-hello')[0]!.serverName).toBeUndefined();
  });
  it('name mismatch → bad_certificate(42)', () => expect(clientAlert(connect({ serverName: 'other.test' }))).toBe(A.bad_certificate));
  it('untrusted root → unknown_ca(48)', () => expect(clientAlert(connect({}, {}, { certificateChain: [pki('leaf-untrusted')], privateKey: pkiKey('leaf-untrusted') }))).toBe(A.unknown_ca));
  it('expired → certificate_expired(45), with time from nowMs only', () => {
    expect(clientAlert(connect({}, {}, { certificateChain: [pki('leaf-expired')], privateKey: pkiKey('leaf-expired') }))).toBe(A.certificate_expired);
    expect(clientAlert(connect({}, {}, serverChain, Date.UTC(2200, 0, 1)))).toBe(A.certificate_expired);
  });
  it('the chain is judged only after CertificateVerify proved the key: TOFU never remembers an unproven certificate', () => {
    let remembered = 0;
    const r = connect({ trustAnchors: undefined, verify: trustOnFirstUse(undefined, () => remembered++) }, {}, { certificateChain: [pki('leaf-direct')], privateKey: pkiKey('leaf') });
    expect(clientAlert(r)).toBe(A.decrypt_error);
    expect(remembered).toBe(0);
  });
  it('a CertificateVerify by another key than the certificate’s → decrypt_error(51)', () => {
    const r = connect({ serverName: 'direct.test' }, {}, { certificateChain: [pki('leaf-direct')], privateKey: pkiKey('leaf') });
    expect(clientAlert(r)).toBe(A.decrypt_error);
  });
  it('RSA, P-384 and Ed25519 end entities (server signing with node:crypto)', () => {
    const all = [pki('root-a'), pki('root-p384'), pki('root-ed')];
    for (const leaf of ['leaf-rsa', 'leaf-by-p384', 'leaf-by-ed']) {
      const r = runPair(
        { profile: tls, alpn: [], crypto, trustAnchors: all, serverName: 'server.test' },
        { profile: tls, alpn: [], crypto: nodeCrypto },
        { choose: () => ({ certificateChain: [pki(leaf)], privateKey: pkiKey(leaf) }), nowMs: NOW },
      );
      expect(r.client.state, leaf).toBe('complete');
    }
  });
});

describe('client: refused configurations (TypeError)', () => {
  const base = { profile: tls, alpn: [], crypto };
  it('no trustAnchors and no verify', () => expect(() => createClient(base)).toThrow(TypeError));
  it("verify: 'chain' without trustAnchors", () => expect(() => createClient({ ...base, verify: 'chain', serverName: 'x' })).toThrow(TypeError));
  it("verify: 'chain' without serverName", () => expect(() => createClient({ ...base, trustAnchors: anchors })).toThrow(TypeError));
  it('a trust anchor that is not a certificate', () => expect(() => createClient({ ...base, trustAnchors: [new Uint8Array(9)], serverName: 'x' })).toThrow(TypeError));
  it('explicit none, event, or a verifier function are accepted', () => {
    expect(createClient({ ...base, verify: 'none' }).state).toBe('idle');
    expect(createClient({ ...base, verify: 'event' }).state).toBe('idle');
    expect(createClient({ ...base, verify: trustExactly(pki('leaf')) }).state).toBe('idle');
  });
  it('server: requestClientCertificate without a way to verify', () => {
    expect(() => createServer({ ...base, requestClientCertificate: true })).toThrow(TypeError);
    expect(createServer({ ...base, requestClientCertificate: true, verify: 'none' }).state).toBe('idle');
  });
});

describe('verifier hooks', () => {
  const pin = Buffer.from(spkiSha256(pki('leaf'), crypto)).toString('base64');
  it('SPKI SHA-256 pinning: the pinned key passes, another fails with bad_certificate', () => {
    expect(connect({ trustAnchors: undefined, verify: pinSpkiSha256([`sha256/${pin}`]) }).client.state).toBe('complete');
    expect(connect({ trustAnchors: undefined, verify: pinSpkiSha256([spkiSha256(pki('inter'), crypto)]) }).client.state).toBe('complete'); // an intermediate's pin
    expect(clientAlert(connect({ trustAnchors: undefined, verify: pinSpkiSha256([spkiSha256(pki('root-b'), crypto)]) }))).toBe(A.bad_certificate);
    expect(() => pinSpkiSha256(['not a pin'])).toThrow(TypeError);
  });
  it('pinning and the chain together (allOf)', () => {
    const v = allOf(chainVerifier({ trustAnchors: anchors }), pinSpkiSha256([pin]));
    expect(connect({ verify: v }).client.state).toBe('complete');
    expect(clientAlert(connect({ verify: v, serverName: 'nope.test' }))).toBe(A.bad_certificate);
  });
  it('trust on first use: remember the first certificate, then trust exactly it', () => {
    let stored: Uint8Array | undefined;
    expect(connect({ trustAnchors: undefined, verify: trustOnFirstUse(undefined, (c) => (stored = c)) }).client.state).toBe('complete');
    expect(Buffer.from(stored!).equals(Buffer.from(pki('leaf')))).toBe(true);
    expect(connect({ trustAnchors: undefined, verify: trustOnFirstUse(stored, () => {}) }).client.state).toBe('complete');
    const other = { certificateChain: [pki('leaf-direct')], privateKey: pkiKey('leaf-direct') };
    expect(clientAlert(connect({ trustAnchors: undefined, verify: trustOnFirstUse(stored, () => {}) }, {}, other))).toBe(A.bad_certificate);
  });
  it('a verifier sees the peer role, serverName and nowMs', () => {
    const seen: unknown[] = [];
    connect({ trustAnchors: undefined, verify: (chain, ctx) => (seen.push([chain.length, ctx.peer, ctx.serverName, ctx.nowMs]), { ok: true }) });
    expect(seen).toEqual([[2, 'server', 'server.test', NOW]]);
  });
});

describe('client certificates, verified by the server', () => {
  const clientCert = { certificateChain: [pki('leaf-client'), pki('inter')], privateKey: pkiKey('leaf-client') };
  const server = { requestClientCertificate: 'require' as const, trustAnchors: anchors };
  it('requested, presented, chained to the server’s anchors: complete on both sides', () => {
    const r = connect(clientCert, server);
    expect(r.server.state).toBe('complete');
    expect(ofType(r.serverEvents, 'complete')[0]!.peerCertificates).toHaveLength(2);
  });
  it("'require' and no certificate → certificate_required(116)", () => expect(serverAlert(connect({}, server))).toBe(A.certificate_required));
  it('requested but optional: an empty Certificate completes', () => {
    const r = connect({}, { requestClientCertificate: true, trustAnchors: anchors });
    expect(r.server.state).toBe('complete');
    expect(ofType(r.serverEvents, 'complete')[0]!.peerCertificates).toEqual([]);
  });
  it('a serverAuth-only certificate as a client certificate → unsupported_certificate(43)', () => {
    expect(serverAlert(connect({ certificateChain: [pki('leaf'), pki('inter')], privateKey: pkiKey('leaf') }, server))).toBe(A.unsupported_certificate);
  });
  it('a client certificate from an untrusted root → unknown_ca(48)', () => {
    expect(serverAlert(connect({ certificateChain: [pki('leaf-client')], privateKey: pkiKey('leaf-client') }, server))).toBe(A.unknown_ca);
  });
  it("server verify: 'event' suspends until resume(); the verdict decides", () => {
    const ok = connect(clientCert, { requestClientCertificate: true, verify: 'event' });
    expect(ofType(ok.serverEvents, 'verify-peer')[0]!.chain).toHaveLength(2);
    expect(ok.server.state).toBe('complete');
    const no = runPair(
      { profile: tls, alpn: [], crypto, verify: 'none', ...clientCert },
      { profile: tls, alpn: [], crypto, requestClientCertificate: true, verify: 'event' },
      { choose: () => serverChain, nowMs: NOW, onVerify: () => ({ ok: false, alert: A.access_denied }) },
    );
    expect(serverAlert(no)).toBe(A.access_denied);
  });
  it('a client key the provider cannot use, or a chain without a key, is a TypeError at createClient', () => {
    expect(() => createClient({ profile: tls, alpn: [], crypto, verify: 'none', certificateChain: [pki('leaf')], privateKey: new Uint8Array(5) })).toThrow(TypeError);
    expect(() => createClient({ profile: tls, alpn: [], crypto, verify: 'none', certificateChain: [pki('leaf')] })).toThrow(TypeError);
  });
});
