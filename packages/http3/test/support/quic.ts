/**
 * @module test/support/quic
 * Real QUIC on 127.0.0.1 for the tests: a certificate from cert-tool (made
 * once per test file), `serve()` on a port the OS picks, and a client that
 * trusts exactly that certificate.
 */
import { generateSelfSigned } from '@tsquic/cert-tool';
import { trustCertificate } from '@tsquic/quic-transport';
import { createClient, serve, type ClientOptions, type Http3Client, type Http3Server, type ServeInfo, type ServeOptions } from '../../src/node/index.js';

let cert: Promise<{ certificate: Uint8Array; privateKey: Uint8Array }> | undefined;

/** A self-signed P-256 certificate for localhost, 127.0.0.1 and ::1. */
export function testCertificate(): Promise<{ certificate: Uint8Array; privateKey: Uint8Array }> {
  cert ??= generateSelfSigned({ sans: ['localhost', '127.0.0.1', '::1'] });
  return cert;
}

export interface Harness {
  server: Http3Server;
  client: Http3Client;
  /** `https://127.0.0.1:<port>` + path */
  url(path: string): string;
  close(): Promise<void>;
}

export async function startPair(handler: (request: Request, info: ServeInfo) => Response | Promise<Response>, options: { server?: Partial<ServeOptions>; client?: ClientOptions } = {}): Promise<Harness> {
  const { certificate, privateKey } = await testCertificate();
  const server = await serve({ hostname: '127.0.0.1', port: 0, cert: certificate, key: privateKey, ...options.server }, handler);
  const client = createClient({ verifyPeer: trustCertificate(certificate), ...options.client });
  return {
    server,
    client,
    url: (path) => `https://127.0.0.1:${server.addr.port}${path}`,
    async close() {
      await client.close();
      await server.close();
    },
  };
}
