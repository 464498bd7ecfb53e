// The README example: an echo server and a client on 127.0.0.1, one bidirectional stream (test/node/example.test.ts keeps the two the same).
import { generateSelfSigned } from '@tsquic/cert-tool';
import { QuicEndpoint, trustExactly } from '@tsquic/quic-transport';

// A development certificate for localhost: a DER certificate and its PKCS#8 DER key (PEM files work too).
const { certificate: cert, privateKey: key } = await generateSelfSigned({ sans: ['localhost'] });

const server = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
server.listen({
  tls: { certificateChain: [cert], privateKey: key, alpn: ['echo'] },
  onConnection: async (conn) => {
    for await (const stream of conn.incomingBidirectionalStreams) void stream.readable.pipeTo(stream.writable);
  },
});

const client = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
// 'localhost:port': the certificate must name localhost (as node:tls does); it must be exactly `cert`.
const conn = client.connect(`localhost:${server.address.port}`, { alpn: ['echo'], verify: trustExactly(cert) });
const info = await conn.ready;
console.log('connected:', info.alpn, info.cipherSuiteName);

const stream = await conn.createBidirectionalStream();
const writer = stream.writable.getWriter();
await writer.write(new TextEncoder().encode('hello over QUIC'));
await writer.close();
let echoed = '';
for await (const chunk of stream.readable) echoed += new TextDecoder().decode(chunk);
console.log('echoed:', echoed);

await conn.close({ closeCode: 0n, reason: 'bye' });
await Promise.all([client.close(), server.close()]);
export { echoed };
