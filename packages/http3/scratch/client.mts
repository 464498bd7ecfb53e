import { createClient } from '../src/node/index.js';
const client = createClient({ verifyPeer: 'none' });
const r = await client.fetch('https://127.0.0.1:14433/a.bin');
const body = new Uint8Array(await r.arrayBuffer());
console.log(r.status, body.length, [...r.headers]);
for (let i = 0; i < 5; i++) { const x = await client.fetch('https://127.0.0.1:14433/index.html', { headers: { 'x-custom-header': 'some-repeated-value' } }); console.log(x.status, await x.text()); }
const conn = await client.connection('https://127.0.0.1:14433/');
console.log('peer settings', [...(conn.receivedSettings ?? [])].map(([k, v]) => `0x${k.toString(16)}=${v}`).join(' '));
console.log(JSON.stringify(conn.qpackStats));
await client.close();
