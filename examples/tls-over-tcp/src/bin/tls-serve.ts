#!/usr/bin/env node
/**
 * @module bin/tls-serve
 * `tls-serve --cert FILE --key FILE [--port N]`: an HTTPS server over our
 * TLS 1.3 that answers every HTTP/1.1 request with a small fixed body. It
 * prints `listening on HOST:PORT` once it accepts, then one line per
 * connection to stderr. Stops on SIGINT/SIGTERM.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseGroups, parseSuites, provider } from '../names.js';
import { readCertificates, readPrivateKey } from '../pem.js';
import { serveHttps } from '../server.js';

const USAGE = `usage: tls-serve --cert FILE --key FILE [options]
  --cert FILE        certificate chain, PEM (leaf first) or DER
  --key FILE         private key, PEM or DER (PKCS#8, SEC1 or PKCS#1)
  --port N           TCP port (default 8443; 0 = any free port)
  --host ADDR        address to listen on (default 127.0.0.1)
  --alpn LIST        ALPN protocols in preference order (default http/1.1)
  --cipher LIST      TLS 1.3 suites in preference order (default: all three)
  --group LIST       groups: x25519, P-256, P-384, X25519MLKEM768 (default x25519,P-256)
  --client-ca FILE   request a client certificate and verify it against these anchors
  --require-client-cert   with --client-ca: refuse clients without one (certificate_required)
  --no-tickets       do not issue session tickets
  --keylog FILE      append NSS key log lines
  --provider NAME    crypto provider: node or noble (default: node on Node)`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        cert: { type: 'string' },
        key: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        alpn: { type: 'string' },
        cipher: { type: 'string' },
        group: { type: 'string' },
        'client-ca': { type: 'string' },
        'require-client-cert': { type: 'boolean' },
        'no-tickets': { type: 'boolean' },
        keylog: { type: 'string' },
        provider: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`tls-serve: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const o = args.values;
  if (o.help || !o.cert || !o.key) {
    process.stderr.write(`${USAGE}\n`);
    return o.help ? 0 : 2;
  }
  try {
    const keylog = o.keylog;
    const port = Number(o.port ?? 8443);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port ${o.port}`);
    const server = await serveHttps({
      crypto: provider(o.provider),
      certificateChain: readCertificates(o.cert),
      privateKey: readPrivateKey(o.key),
      port,
      host: o.host ?? '127.0.0.1',
      ...(o.alpn && { alpn: o.alpn.split(',').filter(Boolean) }),
      ...(o.cipher && { cipherSuites: parseSuites(o.cipher) }),
      ...(o.group && { groups: parseGroups(o.group) }),
      ...(o['client-ca'] && { clientCa: readCertificates(o['client-ca']), requireClientCertificate: o['require-client-cert'] === true }),
      ...(o['no-tickets'] && { tickets: false }),
      ...(keylog && { keylog: (line: string) => appendFileSync(keylog, `${line}\n`) }),
      log: (line) => process.stderr.write(`tls-serve: ${line}\n`),
    });
    process.stdout.write(`listening on ${o.host ?? '127.0.0.1'}:${server.port}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // Stop accepting, drop open connections, and leave even if a socket lingers.
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`tls-serve: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

process.exitCode = await main();
