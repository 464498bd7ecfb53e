/**
 * The README's example: a WebTransport echo server on 127.0.0.1 with a
 * certificate browsers accept through `serverCertificateHashes`, and our Node
 * client using it the way a page would. Run after `pnpm build`:
 * `npx tsx scripts/example.ts` (test/readme.test.ts runs it).
 */
import { generateWebTransportCertificate } from '@tsquic/cert-tool';
import { serve } from '@tsquic/http3/node';
import { isOriginAllowed, webTransportServer } from '@tsquic/webtransport';
import { WebTransport } from '@tsquic/webtransport/node';

// ECDSA P-256, 14 days: what browsers take with serverCertificateHashes.
const cert = await generateWebTransportCertificate({ sans: ['127.0.0.1'] });

const server = await serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    cert: cert.certificate,
    key: cert.privateKey,
    extensions: [
      webTransportServer({
        onSession(request) {
          if (!isOriginAllowed(request, ['https://app.example'])) return void request.reject(403);
          if (request.path !== '/echo') return void request.reject(404);
          const session = request.accept();
          void (async () => {
            for await (const stream of session.incomingBidirectionalStreams) void stream.readable.pipeTo(stream.writable);
          })();
        },
      }),
    ],
  },
  () => new Response('not found', { status: 404 }), // plain HTTP/3 requests
);
const url = `https://127.0.0.1:${server.addr.port}/echo`;
console.log('serverCertificateHashes value:', Buffer.from(cert.hash.value).toString('hex').length / 2, 'bytes');

// The same calls as in a page.
const wt = new WebTransport(url, { serverCertificateHashes: [cert.hash], origin: 'https://app.example' });
await wt.ready;
const stream = await wt.createBidirectionalStream();
const writer = stream.writable.getWriter();
await writer.write(new TextEncoder().encode('hello over WebTransport'));
await writer.close();
let echoed = '';
for await (const chunk of stream.readable) echoed += new TextDecoder().decode(chunk);
console.log('echoed:', echoed);
wt.close({ closeCode: 0, reason: 'done' });
console.log('closed:', await wt.closed);

const refused = new WebTransport(`https://127.0.0.1:${server.addr.port}/elsewhere`, { serverCertificateHashes: [cert.hash] });
await refused.ready.catch((e: Error) => console.log('refused:', e.message));
await server.close();
