/** Helpers shared by the QPACK tests: hex in and out (from @tsquic/test-support), and the code of a thrown QpackError. */
import { QpackError } from '../../src/qpack/index.js';

export { ascii, hex, toHex } from '@tsquic/test-support/hex';

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
