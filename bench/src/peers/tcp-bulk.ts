/**
 * @module peers/tcp-bulk
 * A bulk TCP flow on 127.0.0.1, server → client, both ends in this process
 * (the kernel does the congestion control: CUBIC where the route says so),
 * for the crosstraffic row beside kernel TCP. Prints the client's received
 * byte count every 20 ms as `<bytes>` lines until killed.
 *   node peers/tcp-bulk.js
 */
import { connect, createServer } from 'node:net';

const chunk = Buffer.alloc(65536, 0x61);
const server = createServer((s) => {
  const write = (): void => {
    while (s.write(chunk));
  };
  s.on('drain', write);
  s.on('error', () => {});
  write();
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  const c = connect(typeof a === 'object' && a ? a.port : 0, '127.0.0.1');
  let received = 0;
  c.on('data', (d: Buffer) => (received += d.length));
  setInterval(() => process.stdout.write(`${received}\n`), 20);
});
process.on('SIGTERM', () => process.exit(0));
