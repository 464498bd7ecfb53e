#!/usr/bin/env node
/**
 * @module bin/tls-get
 * `tls-get URL`: an HTTPS GET over our TLS 1.3; the response body goes to
 * stdout. On a TLS failure it prints the alert and exits 1 (2 for usage or
 * network errors). See README.md for the options.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tlsGet, TlsRecordError } from '../client.js';
import { parseGroups, parseSuites, provider } from '../names.js';
import { readCertificates, readPrivateKey } from '../pem.js';
import { loadTicket, saveTicket } from '../session-file.js';

const USAGE = `usage: tls-get [options] https://host[:port]/path
  --ca FILE          trust anchor(s), PEM or DER (default: Node's bundled roots)
  --insecure         do not verify the server certificate
  --alpn LIST        ALPN protocols, comma-separated (default http/1.1)
  --cipher LIST      TLS 1.3 suites, e.g. TLS_AES_256_GCM_SHA384 (default: all three)
  --group LIST       key exchange groups: x25519, P-256, P-384, X25519MLKEM768 (default x25519,P-256)
  --keylog FILE      append NSS key log lines (SSLKEYLOGFILE format)
  --cert FILE --key FILE   client certificate chain and key, PEM or DER
  --session FILE     resume with the ticket in FILE; store the newest ticket there
  --servername NAME  TLS server name instead of the URL host
  --provider NAME    crypto provider: node or noble (default: node on Node)
  -v, --verbose      print the negotiated parameters to stderr`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        alpn: { type: 'string' },
        cipher: { type: 'string' },
        group: { type: 'string' },
        keylog: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        session: { type: 'string' },
        servername: { type: 'string' },
        provider: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`tls-get: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values: o, positionals } = args;
  if (o.help || positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return o.help ? 0 : 2;
  }
  try {
    const url = new URL(positionals[0]!);
    if ((o.cert === undefined) !== (o.key === undefined)) throw new Error('--cert and --key go together');
    const keylog = o.keylog;
    const session = o.session;
    const r = await tlsGet(url, {
      crypto: provider(o.provider),
      ...(o.ca && { trustAnchors: readCertificates(o.ca) }),
      ...(o.insecure && { insecure: true }),
      ...(o.alpn && { alpn: o.alpn.split(',').filter(Boolean) }),
      ...(o.cipher && { cipherSuites: parseSuites(o.cipher) }),
      ...(o.group && { groups: parseGroups(o.group) }),
      ...(keylog && { keylog: (line: string) => appendFileSync(keylog, `${line}\n`) }),
      ...(o.cert && o.key && { certificateChain: readCertificates(o.cert), privateKey: readPrivateKey(o.key) }),
      ...(o.servername && { serverName: o.servername }),
      ...(session && { resume: loadTicket(session) }),
    });
    if (session && r.tickets.length > 0) saveTicket(session, r.tickets[r.tickets.length - 1]!);
    if (o.verbose) {
      process.stderr.write(`tls-get: TLSv1.3 ${r.info.cipherSuiteName}, alpn ${r.info.alpn ?? '-'}, resumed ${r.info.resumed}, ` + `hello-retry ${r.helloRetry}, tickets ${r.tickets.length}, HTTP ${r.response.status}\n`);
    }
    process.stdout.write(r.response.body);
    return 0;
  } catch (e) {
    if (TlsRecordError.isInstance(e)) {
      process.stderr.write(`tls-get: TLS alert ${e.alertName} (${e.alert}) ${e.sent ? 'sent' : 'received from the server'}${e.reason ? `: ${e.reason}` : ''}\n`);
      return 1;
    }
    process.stderr.write(`tls-get: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

process.exitCode = await main();
