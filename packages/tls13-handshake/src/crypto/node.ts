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

/** The HandshakeCrypto on node:crypto (ML-KEM from @noble/post-quantum): the default on Node, Deno and Bun. */
export const nodeCrypto: HandshakeCrypto = makeNodeCrypto(c);

/** The `#default-crypto` target on Node. */
export const defaultProvider: HandshakeCrypto = nodeCrypto;
