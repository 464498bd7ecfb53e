/**
 * `@tsquic/quic-crypto-keys/node`: the CryptoProvider on node:crypto, the
 * fastest choice on Node — also the `#default-provider` target under the
 * `node` condition (package.json `imports`, as tls13-handshake's
 * `#default-crypto`).
 *
 * @module @tsquic/quic-crypto-keys/node
 */
import * as nodeCrypto from 'node:crypto';
import { makeNodeProvider } from './make-node.js';

/** The provider on node:crypto: a `KeyObject` per AEAD key, one ECB cipher per AES header-protection key (noble where the runtime lacks an algorithm). */
export const nodeProvider = makeNodeProvider(nodeCrypto);

/** The `#default-provider` target on Node. */
export const defaultProvider = nodeProvider;
