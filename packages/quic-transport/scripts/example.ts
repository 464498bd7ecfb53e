// The README example: an echo server and a client on 127.0.0.1, one bidirectional stream.
import { generateSelfSigned } from '@tsquic/cert-tool';
import { QuicEndpoint, trustCertificate } from '@tsquic/quic-transport';

// A development certificate for localhost: a DER certificate and its PKCS#8 DER key.
const { certificate: cert, privateKey: key } = await generateSelfSigned({ sans: ['localhost'] });

const server = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
server.listen({
  tls: { certificateChain: [cert], privateKey: key, alpn: ['echo'] },
  onConnection: async (conn) => {
    for await (const stream of conn.incomingBidirectionalStreams) void stream.readable.pipeTo(stream.writable);
  },
});

const client = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
const conn = client.connect(server.address, { serverName: 'localhost', alpn: ['echo'], verifyPeer: trustCertificate(cert) });
const info = await conn.ready;
console.log('connected:', info.alpn, `cipher 0x${info.cipherSuite.toString(16)}`);

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
