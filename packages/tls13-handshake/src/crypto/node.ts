/**
 * @module crypto/node
 * `@tsquic/tls13-handshake/node`: the HandshakeCrypto on node:crypto, the
 * default (and fastest) choice on Node.
 */
import * as c from 'node:crypto';
import { makeNodeCrypto } from './make-node.js';

export const nodeCrypto = makeNodeCrypto(c);
