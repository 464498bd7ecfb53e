/**
 * For the no-emit typecheck only: `#default-crypto` (package.json `imports`)
 * points into dist/, which tsc maps back to src/ only when it emits
 * (tsconfig.build.json). Both targets export this.
 */
declare module '#default-crypto' {
  import type { HandshakeCrypto } from '../src/crypto/provider.js';
  export const defaultProvider: HandshakeCrypto;
}
