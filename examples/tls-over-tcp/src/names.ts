/**
 * @module names
 * Command-line names of cipher suites (RFC 8446 Appendix B.4), groups
 * (RFC 8446 §4.2.7, OpenSSL spellings accepted) and providers.
 */
import { nobleCrypto, defaultCrypto, type CipherSuite, type GroupName, type HandshakeCrypto } from '@tsquic/tls13-handshake';
import { nodeCrypto } from '@tsquic/tls13-handshake/node';

const SUITES: Record<string, CipherSuite> = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  '0x1301': 0x1301,
  '0x1302': 0x1302,
  '0x1303': 0x1303,
};

const GROUPS: Record<string, GroupName> = {
  x25519: 'x25519',
  'p-256': 'secp256r1',
  secp256r1: 'secp256r1',
  prime256v1: 'secp256r1',
  'p-384': 'secp384r1',
  secp384r1: 'secp384r1',
  x25519mlkem768: 'x25519mlkem768',
};

/** "TLS_AES_128_GCM_SHA256,0x1303" → [0x1301, 0x1303]; throws on an unknown name. */
export function parseSuites(list: string): CipherSuite[] {
  return list
    .split(/[,:]/)
    .filter(Boolean)
    .map((s) => {
      const v = SUITES[s] ?? SUITES[s.toUpperCase()];
      if (v === undefined) throw new Error(`unknown cipher suite ${s} (one of ${Object.keys(SUITES).slice(0, 3).join(', ')})`);
      return v;
    });
}

/** "x25519,P-256" → ['x25519', 'secp256r1']; throws on an unknown name. */
export function parseGroups(list: string): GroupName[] {
  return list
    .split(/[,:]/)
    .filter(Boolean)
    .map((g) => {
      const v = GROUPS[g.toLowerCase()];
      if (!v) throw new Error(`unknown group ${g} (x25519, P-256, P-384, X25519MLKEM768)`);
      return v;
    });
}

/** 'node' | 'noble' | undefined (the runtime default). */
export function provider(name: string | undefined): HandshakeCrypto {
  if (name === undefined) return defaultCrypto();
  if (name === 'node') return nodeCrypto;
  if (name === 'noble') return nobleCrypto;
  throw new Error(`unknown crypto provider ${name} (node or noble)`);
}
