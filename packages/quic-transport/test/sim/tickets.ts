/**
 * @module test/sim/tickets
 * Resumption over the simulated network: a server that issues session
 * tickets (and may accept 0-RTT), and a first connection that ends once it
 * holds a ticket.
 */
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { expect } from 'vitest';
import { Endpoint, type EndpointOptions } from '../../src/core/index.js';
import { Collector } from './apps.js';
import { Network, SERVER_PATH, serverTls } from './network.js';

export const TICKET_KEY = new Uint8Array(32).fill(9);
const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

export function ticketed(earlyData: boolean, server: Partial<EndpointOptions> = {}, transport: Record<string, unknown> = {}) {
  const s = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: TICKET_KEY, earlyData }, transport }, ...server });
  const client = new Endpoint();
  return { server: s, client, net: new Network(client, s, { latencyMs: 25 }) };
}

/** A first connection that ends with a session ticket. */
export function firstTicket(env: ReturnType<typeof ticketed>): SessionTicket {
  const c = env.client.connect(env.net.now, SERVER_PATH, TLS);
  const col = new Collector(c);
  let ticket: SessionTicket | undefined;
  env.net.runUntil(() => {
    col.pump(env.net.now);
    const e = col.events.find((x) => x.type === 'session-ticket');
    if (e?.type === 'session-ticket') ticket = e.ticket;
    return ticket !== undefined;
  }, 5000);
  c.close(env.net.now);
  env.net.runUntil(() => c.isClosed, 5000);
  expect(ticket).toBeDefined();
  expect(ticket!.appData).toBeDefined(); // the server's transport parameters, remembered
  return ticket!;
}
