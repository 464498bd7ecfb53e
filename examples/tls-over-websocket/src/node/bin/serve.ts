#!/usr/bin/env node
/**
 * @module node/bin/serve
 * Run the example by hand: the WebSocket relay to a TLS server plus a static
 * server for the built page with its `config.json` (relay URL, server name,
 * trust anchor). `--demo` first starts a local node:https server with a
 * fresh test PKI and points everything at it.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startProxy } from '../proxy.js';
import { startStaticServer } from '../static-server.js';
import { makeTestPki } from '../test-pki.js';

const USAGE = `usage:
  tls-over-websocket --demo [--port 8080]
  tls-over-websocket --target <host:port> --ca <ca.pem> --server-name <name> [--path /] [--port 8080] [--proxy-port 0]`;

const { values } = parseArgs({
  options: {
    demo: { type: 'boolean', default: false },
    target: { type: 'string' },
    ca: { type: 'string' },
    'server-name': { type: 'string' },
    path: { type: 'string', default: '/' },
    port: { type: 'string', default: '8080' },
    'proxy-port': { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const cleanups: Array<() => unknown> = [];
const stop = async (code: number): Promise<never> => {
  for (const c of cleanups.reverse()) await c();
  process.exit(code);
};
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  await stop(1);
}

async function main(): Promise<void> {
  let target: { host: string; port: number };
  let caPem: string;
  let serverName: string;

  if (values.demo) {
    const pki = makeTestPki();
    cleanups.push(() => pki.remove());
    const https = createServer({ cert: pki.server.cert, key: pki.server.key, minVersion: 'TLSv1.3' }, (req, res) => {
      const tls = req.socket as TLSSocket;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(`Hello from node:https. You asked for ${req.url} over ${tls.getProtocol()} with ${tls.getCipher().standardName}.\n`);
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          https.close(r);
          https.closeAllConnections();
        }),
    );
    target = { host: '127.0.0.1', port: (https.address() as AddressInfo).port };
    caPem = pki.ca.cert;
    serverName = 'localhost';
    console.log(`demo TLS server (node:https, test PKI in ${pki.dir}) on 127.0.0.1:${target.port}`);
  } else {
    const m = /^(.+):(\d+)$/.exec(values.target ?? '');
    if (!m || !values.ca || !values['server-name']) {
      console.error(USAGE);
      process.exit(2);
    }
    target = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
    caPem = readFileSync(values.ca, 'utf8');
    serverName = values['server-name'];
  }

  const proxy = await startProxy({ target, port: Number(values['proxy-port']) });
  cleanups.push(() => proxy.close());
  const page = await startStaticServer({
    root: fileURLToPath(new URL('../../page/', import.meta.url)),
    port: Number(values.port),
    json: { '/config.json': { proxy: proxy.url, serverName, path: values.path, ca: caPem } },
  });
  cleanups.push(() => page.close());
  console.log(`WebSocket relay ${proxy.url} → ${target.host}:${target.port}`);
  console.log(`open ${page.url}`);
}
