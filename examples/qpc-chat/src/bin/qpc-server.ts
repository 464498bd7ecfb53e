#!/usr/bin/env node
/**
 * @module bin/qpc-server
 * `qpc-server [--listen HOST:PORT] [--tls-cert FILE] [--tls-key FILE] [--data-dir DIR]`:
 * the qpc chat server. Prints `qpc-server: listening on HOST:PORT` once it
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
A missing certificate and key are generated (self-signed, SANs localhost, 127.0.0.1, ::1) and kept.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        listen: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'data-dir': { type: 'string' },
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
  const config = serverConfig({ listen: values.listen, tlsCert: values['tls-cert'], tlsKey: values['tls-key'], dataDir: values['data-dir'] }, process.env);
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
