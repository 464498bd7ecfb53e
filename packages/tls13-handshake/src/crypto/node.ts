/**
 * `@tsquic/tls13-handshake/node`: the HandshakeCrypto on node:crypto, the
 * default (and fastest) choice on Node — also the `#default-crypto` target
 * under the `node` condition (package.json `imports`).
 *
 * @module @tsquic/tls13-handshake/node
 */
import * as c from 'node:crypto';
import type { HandshakeCrypto } from './provider.js';
import { makeNodeCrypto } from './make-node.js';

/**
 * The HandshakeCrypto on node:crypto (ML-KEM from @noble/post-quantum), with eight X25519 key pairs
 * kept ready (made on libuv's thread pool, see `makeNodeCrypto`): the default on Node, Deno and Bun.
 */
export const nodeCrypto: HandshakeCrypto = makeNodeCrypto(c, { x25519Pool: 8 });

/** The `#default-crypto` target on Node. */
export const defaultProvider: HandshakeCrypto = nodeCrypto;
