/** Child process of shell.test.ts: an endpoint that is unref'd (or not), idle or connecting to nobody. */
import { QuicEndpoint, QuicConnectionError } from '../../src/index.js';

const mode = process.argv[2];
const ep = await QuicEndpoint.bind({ address: '127.0.0.1' });
if (mode !== 'ref') ep.unref();
console.log('bound');
if (mode === 'unref-connecting') {
  // Nobody listens on port 9 (discard): the handshake runs until its timeout.
  // The time is the child's own: read by the parent from its output, it would depend on when the pipe delivered it.
  const t0 = performance.now();
  const c = ep.connect({ address: '127.0.0.1', port: 9 }, { alpn: ['x'], verifyPeer: 'none', transport: { handshakeTimeoutMs: 1000 } });
  c.ready.catch((e: unknown) => console.log(`${QuicConnectionError.isInstance(e) ? e.info.kind : String(e)} after ${Math.round(performance.now() - t0)} ms`));
}
