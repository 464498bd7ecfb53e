/**
 * @module provider/node
 * `@tsquic/quic-crypto-keys/node`: the CryptoProvider on node:crypto, the
 * fastest choice on Node — also the `#default-provider` target under the
 * `node` condition (package.json `imports`, as tls13-handshake's
 * `#default-crypto`).
 */
import * as nodeCrypto from 'node:crypto';
import { makeNodeProvider } from './make-node.js';

export const nodeProvider = makeNodeProvider(nodeCrypto);

/** The `#default-provider` target on Node. */
export const defaultProvider = nodeProvider;
