import * as nodeCrypto from 'node:crypto';
import { nobleProvider, type CryptoProvider } from '../src/index.js';
import { makeNodeProvider } from '../src/provider/make-node.js';
import { nodeProvider } from '../src/provider/node.js';

/** node:crypto as Bun implements it: no chacha20-poly1305 ("Unknown cipher"). */
const withoutChacha: Parameters<typeof makeNodeProvider>[0] = {
  ...nodeCrypto,
  getCiphers: () => nodeCrypto.getCiphers().filter((c) => c !== 'chacha20-poly1305'),
  createCipheriv: ((alg: string, ...rest: unknown[]) => {
    if (alg === 'chacha20-poly1305') throw new Error('Unknown cipher');
    return (nodeCrypto.createCipheriv as (...a: unknown[]) => unknown)(alg, ...rest);
  }) as typeof nodeCrypto.createCipheriv,
};

/** Every provider runs the same suites. */
export const PROVIDERS: CryptoProvider[] = [nobleProvider, nodeProvider, { ...makeNodeProvider(withoutChacha), name: 'node without chacha20-poly1305 (Bun)' }];

export const hex = (s: string): Uint8Array => Uint8Array.from((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
