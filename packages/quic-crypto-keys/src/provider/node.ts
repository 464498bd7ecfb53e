/**
 * @module provider/node
 * `@tsquic/quic-crypto-keys/node`: the CryptoProvider on node:crypto, the
 * fastest choice on Node.
 */
import * as nodeCrypto from 'node:crypto';
import { makeNodeProvider } from './make-node.js';

export const nodeProvider = makeNodeProvider(nodeCrypto);
