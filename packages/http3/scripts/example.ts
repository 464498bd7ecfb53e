import { generateSelfSigned } from '@tsquic/cert-tool';
import { createClient, serve, trustCertificate } from '@tsquic/http3/node';

// A development certificate for this machine, made in memory by cert-tool.
const { certificate, privateKey } = await generateSelfSigned({ sans: ['localhost', '127.0.0.1'] });

// The server: a fetch handler, (Request, info) => Response, as in Deno.serve or Bun.serve.
const server = await serve({ hostname: '127.0.0.1', port: 0, cert: certificate, key: privateKey }, async (request, info) => {
  if (request.method === 'POST') return Response.json({ received: (await request.text()).length, from: info.remoteAddress.address });
  return new Response(`hello from ${new URL(request.url).pathname} over HTTP/3`);
});

// The client: fetch over one pooled QUIC connection per origin, trusting exactly that certificate.
const client = createClient({ verifyPeer: trustCertificate(certificate) });
const response = await client.fetch(`${server.url}greeting`);
console.log(response.status, await response.text());
const posted = await client.fetch(server.url, { method: 'POST', body: 'x'.repeat(1000) });
console.log(await posted.json());

await client.close();
await server.close();
