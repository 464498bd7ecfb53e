/**
 * @module crypto/default
 * The HandshakeCrypto used when a config gives none, chosen at module
 * resolution by the package.json `imports` entry `#default-crypto`:
 * `./dist/crypto/node.js` under the `node` condition (Node, Deno, Bun),
 * `./dist/crypto/noble.js` everywhere else (browsers, workers). Bundlers
 * therefore never pull node:crypto into a browser build, and nothing here
 * imports `node:*` itself.
 */
import { defaultProvider } from '#default-crypto';
import type { HandshakeCrypto } from './provider.js';

/** The runtime's best provider: `nodeCrypto` on Node, `nobleCrypto` elsewhere. */
export function defaultCrypto(): HandshakeCrypto {
  return defaultProvider;
}
