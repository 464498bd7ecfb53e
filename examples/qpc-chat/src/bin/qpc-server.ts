#!/usr/bin/env node
/**
 * @module bin/qpc-server
 * `qpc-server [--listen HOST:PORT] [--tls-cert FILE] [--tls-key FILE] [--data-dir DIR]
 * [--web-origin ORIGIN]… [--no-webtransport]`: the qpc chat server, for qpc clients and,
 * over WebTransport on the same port, for web pages. Prints `qpc-server: listening on HOST:PORT` once it
 * accepts connections; stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { serverConfig } from '../config.js';
import { startServer } from '../server.js';

const USAGE = `usage: qpc-server [options]
  --listen HOST:PORT   address to listen on (env QPC_LISTEN, default 0.0.0.0:5001; port 0 = any free port)
  --tls-cert FILE      server certificate, DER (env QPC_TLS_CERT, default data/server-cert.der)
  --tls-key FILE       server private key, PKCS#8 DER (env QPC_TLS_KEY, default data/server-key.der)
  --data-dir DIR       message log directory (env QPC_DATA_DIR, default data)
  --web-origin ORIGIN  a page origin allowed to open WebTransport sessions; repeatable
                       (env QPC_WEB_ORIGINS, comma-separated; default http://localhost:5173,http://127.0.0.1:5173)
  --no-webtransport    qpc only: no WebTransport for pages (env QPC_WEBTRANSPORT=0)
A missing certificate and key are generated (self-signed, SANs localhost, 127.0.0.1, ::1) and kept.
With WebTransport the certificate is valid for 14 days (what browsers take) and re-issued for the
same key before it expires; <data-dir>/webtransport.json has the URL and hash pages connect with.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        listen: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'data-dir': { type: 'string' },
        'web-origin': { type: 'string', multiple: true },
        'no-webtransport': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`qpc-server: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = serverConfig({ listen: values.listen, tlsCert: values['tls-cert'], tlsKey: values['tls-key'], dataDir: values['data-dir'], noWebTransport: values['no-webtransport'], webOrigins: values['web-origin'] }, process.env);
  const log = (line: string): void => void process.stdout.write(`qpc-server: ${line}\n`);
  let server;
  try {
    server = await startServer(config, log);
  } catch (e) {
    process.stderr.write(`qpc-server: ${(e as Error).message}\n`);
    return e instanceof RangeError ? 2 : 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('shutting down');
  await server.close();
  return 0;
}

process.exitCode = await main();
