import { readFileSync } from 'node:fs';
import { serve } from '../src/node/index.js';
const big = new Uint8Array(10_000_000).fill(65);
const server = await serve({ hostname: '127.0.0.1', port: 14434, cert: readFileSync('/tmp/h3x/cert.pem', 'utf8'), key: readFileSync('/tmp/h3x/key.pem', 'utf8') }, (req) => {
  const path = new URL(req.url).pathname;
  if (path === '/big') return new Response(big, { headers: { 'content-type': 'application/octet-stream' } });
  return new Response(`hello ${path}\n`, { headers: { 'x-thing': 'repeated-header-value' } });
});
console.log('listening', server.url);
setTimeout(async () => { for (const c of server.connections) console.log(JSON.stringify(c.qpackStats), [...(c.receivedSettings ?? [])].map(([k, v]) => `0x${k.toString(16)}=${v}`).join(' ')); await server.close(); }, 8000);
