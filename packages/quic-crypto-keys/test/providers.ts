import { nobleProvider, type CryptoProvider } from '../src/index.js';
import { nodeProvider } from '../src/provider/node.js';

/** Every provider runs the same suites. */
export const PROVIDERS: CryptoProvider[] = [nobleProvider, nodeProvider];

export const hex = (s: string): Uint8Array => Uint8Array.from((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
