/**
 * @module page/main
 * The page: read the configuration, GET the configured resource over TLS 1.3
 * through the WebSocket relay, and show the body, the negotiated cipher
 * suite and the server certificate's subject — or the reason it failed.
 * `body[data-state]` goes from `loading` to `ok` or `error`.
 */
import { ConfigError, loadConfig } from './config.js';
import { httpsGet, HttpsGetError } from './https-client.js';

function show(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

function fail(message: string, kind: string): void {
  show('status', kind === 'certificate' ? 'Certificate error: the server is not trusted' : 'Failed');
  const el = document.getElementById('error')!;
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  document.body.dataset.state = 'error';
}

async function run(): Promise<void> {
  const config = await loadConfig(new URL(location.href));
  show('proxy', config.proxy);
  show('server-name', config.serverName);
  show('status', `Connecting to ${config.serverName} through ${config.proxy}…`);
  const started = performance.now();
  const result = await httpsGet({
    proxyUrl: config.proxy,
    serverName: config.serverName,
    trustAnchors: config.trustAnchors,
    path: config.path,
    ...(config.host && { host: config.host }),
  });
  show('cipher-suite', result.cipherSuite);
  show('subject', result.serverSubject);
  show('crypto-provider', result.cryptoProvider);
  show('http-status', `${result.response.status} ${result.response.reason}`.trim());
  show('elapsed', `${Math.round(performance.now() - started)} ms`);
  show('body', new TextDecoder().decode(result.response.body));
  show('status', `TLS 1.3 handshake complete, certificate verified, GET ${config.path} answered`);
  document.body.dataset.state = 'ok';
}

run().catch((e: unknown) => {
  if (e instanceof HttpsGetError) fail(e.message, e.kind);
  else if (e instanceof ConfigError) fail(e.message, 'config');
  else fail(e instanceof Error ? `${e.name}: ${e.message}` : String(e), 'internal');
});
