/** Our own identity from the files openssl wrote (src/pem.ts, RFC 7468): PEM read to the same DER, DER passed through. */
import { describe, expect, it } from 'vitest';
import { certificateChainFrom, createServer, isPem, pemBlocks, privateKeyFrom } from '../../src/index.js';
import { fixture, ofType, runPair } from './pair.js';

const certDer = fixture('core-server-cert.der');
const certPem = fixture('core-server-cert.pem');
const keyDer = fixture('core-server-key.der');
const keyPem = fixture('core-server-key.pem');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('PEM in, DER out (RFC 7468)', () => {
  it('a PEM key and certificate decode to the DER openssl wrote beside them; DER passes through', () => {
    expect(isPem(keyPem) && isPem(text(certPem)) && !isPem(keyDer)).toBe(true);
    expect(privateKeyFrom(keyPem)).toEqual(keyDer);
    expect(privateKeyFrom(text(keyPem))).toEqual(keyDer);
    expect(privateKeyFrom(keyDer)).toBe(keyDer);
    expect(certificateChainFrom([certPem])).toEqual([certDer]);
    expect(certificateChainFrom([certDer])).toEqual([certDer]);
  });

  it('a server’s PEM chain is decoded once, not per connection: the same DER objects each time, as text or as bytes', () => {
    const asText = text(certPem) + '\n'; // a text no other test decoded first
    const first = certificateChainFrom([asText]);
    expect(first).toEqual([certDer]);
    expect(certificateChainFrom([asText])[0]).toBe(first[0]);
    const bytes = certPem.slice();
    expect(certificateChainFrom([bytes])[0]).toBe(certificateChainFrom([bytes])[0]);
    // Another array with the same bytes is decoded on its own (bytes are known by identity) and agrees.
    expect(certificateChainFrom([certPem.slice()])).toEqual([certDer]);
  });

  it('a chain file with explanatory text between its blocks gives every certificate, leaf first (§5.2)', () => {
    const chain = `subject=CN = leaf\n${text(certPem)}\nissuer text\r\n${text(fixture('core-client-cert.pem'))}`;
    expect(certificateChainFrom([chain])).toEqual([certDer, fixture('core-client-cert.der')]);
    expect(pemBlocks(chain).map((b) => b.label)).toEqual(['CERTIFICATE', 'CERTIFICATE']);
  });

  it('a legacy or missing key block is a TypeError that says what to do', () => {
    const sec1 = '-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n';
    expect(() => privateKeyFrom(sec1)).toThrow(/SEC1 EC key.*openssl pkcs8 -topk8 -nocrypt/);
    expect(() => privateKeyFrom(certPem)).toThrow(/without a PRIVATE KEY \(PKCS#8\) block/);
    expect(() => certificateChainFrom([keyPem])).toThrow(/without a CERTIFICATE block/);
    expect(() => privateKeyFrom('-----BEGIN PRIVATE KEY-----\n*not base64*\n-----END PRIVATE KEY-----')).toThrow(/not base64/);
  });
});

describe('createServer takes the files openssl wrote', () => {
  const tls = { kind: 'tls' as const };
  it('a PEM chain and key in the choice complete a handshake; the client sees the DER certificate', () => {
    const { clientEvents, server } = runPair({ profile: tls, alpn: ['a'], verify: 'none', serverName: 'localhost' }, { profile: tls, alpn: ['a'] }, { choose: () => ({ certificateChain: [certPem], privateKey: keyPem }) });
    expect(server.state).toBe('complete');
    expect(ofType(clientEvents, 'complete')[0]?.peerCertificates).toEqual([certDer]);
  });

  it('a key that cannot sign is a TypeError from createServer, not a failure in every handshake', () => {
    expect(() => createServer({ profile: tls, alpn: ['a'], certificateChain: [certPem], privateKey: new Uint8Array([0x30, 3, 2, 1, 0]) })).toThrow(/privateKey is not a PKCS#8/);
    expect(() => createServer({ profile: tls, alpn: ['a'], certificateChain: [certPem], privateKey: new TextEncoder().encode('-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n') })).toThrow(/openssl pkcs8/);
    expect(createServer({ profile: tls, alpn: ['a'], certificateChain: [certPem], privateKey: keyPem }).state).toBe('idle');
  });
});
