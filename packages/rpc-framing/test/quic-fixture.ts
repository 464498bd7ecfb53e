/**
 * The test server and a client over real `@tsquic/quic-transport` loopback
 * connections (127.0.0.1, port 0). A `QuicConnection` already has the
 * `RpcSession` shape; `quicSession()` is the whole adapter: it names the
 * type, and the shapes of QuicStreamError (a reset's code) are understood by
 * rpc-framing's `streamErrorCode()`.
 */
import { generateSelfSigned } from '@tsquic/cert-tool';
import { QuicEndpoint, defaultStreamSettings, trustExactly, type QuicConnection } from '@tsquic/quic-transport';
import { RpcClient, createClient, type RpcClientOptions, type RpcServerOptions, type RpcSession, type ServerConnection } from '../src/index.js';
import { Echo, testServer } from './helpers.js';

export const ALPN = 'rpc-test';

/** A QUIC connection as an rpc-framing session. */
export function quicSession(conn: QuicConnection): RpcSession {
  return conn;
}

let certificate: Promise<{ certificate: Uint8Array; privateKey: Uint8Array }> | undefined;
/** One self-signed certificate for the whole test file. */
export function testCertificate(): Promise<{ certificate: Uint8Array; privateKey: Uint8Array }> {
  certificate ??= generateSelfSigned({ sans: ['localhost', '127.0.0.1'] });
  return certificate;
}

export interface QuicFixture extends ReturnType<typeof testServer<{ alpn: string }>> {
  client: RpcClient;
  echo: ReturnType<typeof createClient<typeof Echo>>;
  conn: QuicConnection;
  /** The server side's connection, once it arrived. */
  connection(): Promise<ServerConnection<{ alpn: string }>>;
  close(): Promise<void>;
}

export async function quicFixture(opts: { client?: RpcClientOptions; server?: RpcServerOptions; maxStreamsBidi?: number } = {}): Promise<QuicFixture> {
  const { certificate: cert, privateKey } = await testCertificate();
  const t = testServer<{ alpn: string }>(opts.server);
  const serverEp = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
  const clientEp = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
  let gotConnection!: (c: ServerConnection<{ alpn: string }>) => void;
  const served = new Promise<ServerConnection<{ alpn: string }>>((r) => (gotConnection = r));
  const streams = opts.maxStreamsBidi === undefined ? {} : { streams: { ...defaultStreamSettings, maxStreamsBidi: opts.maxStreamsBidi } };
  serverEp.listen({
    tls: { certificateChain: [cert], privateKey, alpn: [ALPN] },
    transport: streams,
    onConnection: (c) => {
      c.ready.then(
        (info) => gotConnection(t.server.serve(quicSession(c), { alpn: info.alpn ?? '' })),
        () => undefined,
      );
    },
  });
  const conn = clientEp.connect(serverEp.address, { serverName: 'localhost', alpn: [ALPN], verify: trustExactly(cert) });
  await conn.ready;
  const client = new RpcClient(quicSession(conn), opts.client);
  return {
    ...t,
    client,
    echo: createClient(Echo, client),
    conn,
    connection: () => served,
    async close() {
      await conn.close({ closeCode: 0n, reason: 'test done' }).catch(() => undefined);
      await Promise.all([clientEp.close({ timeoutMs: 100 }), serverEp.close({ timeoutMs: 100 })]);
    },
  };
}
