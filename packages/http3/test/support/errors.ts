/** @module test/support/errors — the `Http3Error` a call throws (anything else thrown, or nothing, fails the test). */
import { Http3Error } from '../../src/errors.js';

export function http3ErrorOf(f: () => unknown): Http3Error {
  try {
    f();
  } catch (e) {
    if (Http3Error.isInstance(e)) return e;
    throw e;
  }
  throw new Error('no error thrown');
}
