import { StringValueSchema, UInt32ValueSchema } from '@bufbuild/protobuf/wkt';
import { generateSelfSigned } from '@tsquic/cert-tool';
import { QuicEndpoint, trustExactly } from '@tsquic/quic-transport';
import { RpcClient, RpcError, RpcServer, createClient, defineService, registerService } from '@tsquic/rpc-framing';

// A service: method ids and message schemas (here protobuf's well-known wrappers).
const greeter = defineService('demo.Greeter', {
  greet: { id: 1, input: StringValueSchema, output: StringValueSchema },
  countdown: { id: 2, kind: 'server_streaming', input: UInt32ValueSchema, output: UInt32ValueSchema },
});

// The server: handlers, and every QUIC connection served as an RPC session.
const server = new RpcServer<{ alpn: string }>();
registerService(server, greeter, {
  greet: (req, ctx) => ({ value: `hello, ${req.value} (ALPN ${ctx.peer.alpn})` }),
  async countdown(req, ctx) {
    const events = await ctx.openEvents(); // the call's push stream
    void (async () => {
      for (let i = req.value; i > 0; i--) await events.send({ value: i });
      await events.close();
    })();
  },
});
const { certificate, privateKey } = await generateSelfSigned({ sans: ['localhost'] });
const serverEndpoint = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
serverEndpoint.listen({
  tls: { certificateChain: [certificate], privateKey, alpn: ['demo'] },
  onConnection: async (conn) => void server.serve(conn, { alpn: (await conn.ready).alpn ?? '' }),
});

// The client: one QUIC connection, one stream per call.
const clientEndpoint = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
const conn = clientEndpoint.connect(serverEndpoint.address, { serverName: 'localhost', alpn: ['demo'], verify: trustExactly(certificate) });
await conn.ready;
const rpc = new RpcClient(conn);
const greeterClient = createClient(greeter, rpc);

console.log((await greeterClient.greet({ value: 'world' })).value);
const ticks: number[] = [];
for await (const tick of greeterClient.countdown({ value: 3 })) ticks.push(tick.value);
console.log('countdown:', ticks.join(' '));
try {
  await rpc.call(99, new Uint8Array(0));
} catch (e) {
  if (RpcError.isInstance(e)) console.log('method 99:', e.message);
}
try {
  await greeterClient.greet({ value: 'too late' }, { signal: AbortSignal.abort() });
} catch (e) {
  if (RpcError.isInstance(e)) console.log('aborted call:', e.codeName);
}

await conn.close({ closeCode: 0n, reason: 'done' });
await Promise.all([clientEndpoint.close(), serverEndpoint.close()]);
