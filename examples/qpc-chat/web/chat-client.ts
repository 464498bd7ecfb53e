/**
 * @module web/chat-client
 * The page's connection to qpc-server: the WebTransport URL and certificate
 * hash from `webtransport.json` (written by the server, served beside the
 * page), `new WebTransport(url, { serverCertificateHashes })` (the browser's
 * own — draft-ietf-webtrans-http3, which @tsquic/webtransport serves), and
 * the chat service over it with @tsquic/rpc-framing, exactly as the `qpc` CLI
 * uses it over QUIC. The owner token (RegisterRequest.token) lives in
 * localStorage, so a reloaded page gets its nickname back at once.
 */
import { createClient, RpcClient, type TypedClient } from '@tsquic/rpc-framing';
import { Chat } from '../src/protocol.js';

export interface WebTransportInfo {
  readonly url: string;
  readonly certificateHash: string;
}

export interface PageConnection {
  readonly chat: TypedClient<typeof Chat>;
  readonly transport: WebTransport;
  readonly token: Uint8Array;
}

function ownerToken(): Uint8Array {
  const stored = localStorage.getItem('qpc-owner-token');
  if (stored && /^[0-9a-f]{64}$/.test(stored)) return Uint8Array.from(stored.match(/../g)!, (h) => parseInt(h, 16));
  const token = crypto.getRandomValues(new Uint8Array(32));
  localStorage.setItem('qpc-owner-token', [...token].map((b) => b.toString(16).padStart(2, '0')).join(''));
  return token;
}

export async function connectPage(infoUrl = 'webtransport.json'): Promise<PageConnection> {
  if (typeof WebTransport === 'undefined') throw new Error('this browser has no WebTransport');
  const response = await fetch(infoUrl, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${infoUrl}: ${response.status} (is qpc-server running, with WebTransport on?)`);
  const info = (await response.json()) as WebTransportInfo;
  const value = Uint8Array.from(info.certificateHash.match(/../g) ?? [], (h) => parseInt(h, 16));
  const transport = new WebTransport(info.url, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
  await transport.ready;
  return { chat: createClient(Chat, new RpcClient(transport)), transport, token: ownerToken() };
}
