/** Helpers shared by the QPACK tests: hex in and out, and the code of a thrown QpackError. */
import { QpackError } from '../../src/qpack/index.js';

/** Hex to bytes; whitespace is ignored. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex ${text}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** The QpackError `f` throws (its code and reason), or undefined when it returns; any other exception fails the test. */
export function qpackErrorOf(f: () => unknown): QpackError | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (QpackError.isInstance(e)) return e;
    throw e;
  }
}
