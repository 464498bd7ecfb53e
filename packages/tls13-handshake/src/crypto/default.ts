/**
 * @module crypto/default
 * The HandshakeCrypto used when a config gives none: node:crypto on Node
 * (reached through `process.getBuiltinModule`, so nothing here imports
 * `node:*` and the package stays browser-safe), @noble everywhere else.
 */
import { makeNodeCrypto } from './make-node.js';
import { nobleCrypto } from './noble.js';
import type { HandshakeCrypto } from './provider.js';

let best: HandshakeCrypto | undefined;

export function defaultCrypto(): HandshakeCrypto {
  if (best) return best;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const c = proc?.getBuiltinModule?.('node:crypto') as Parameters<typeof makeNodeCrypto>[0] | undefined;
  best = c ? makeNodeCrypto(c) : nobleCrypto;
  return best;
}
