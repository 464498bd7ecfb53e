/** The client's data directory file: tickets, address tokens and owner tokens per server. */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { afterEach, describe, expect, test } from 'vitest';
import { CLIENT_STATE_FILE, ClientState, serverKey } from '../src/client-state.js';
import { cleanUp, tempDir } from './harness.js';

afterEach(cleanUp);

const ticket = (issuedAtMs: number, lifetimeS = 7200): SessionTicket => ({
  serverName: 'localhost',
  alpn: 'qpc',
  cipherSuite: 0x1301,
  ticket: new Uint8Array([1, 2, 3]),
  resumptionSecret: new Uint8Array(32).fill(9),
  ageAdd: 0xdeadbeef,
  issuedAtMs,
  lifetimeS,
  maxEarlyData: 0xffffffff,
  appData: new Uint8Array([4, 5]),
});

describe('client state', () => {
  test('keeps a ticket, an address token and the owner token per server; a ticket is taken once', async () => {
    const dir = await tempDir();
    const key = serverKey('127.0.0.1:5001', 'localhost', new Uint8Array([7]));
    const s = await ClientState.open(dir, key);
    const owner = s.owner;
    expect(owner).toHaveLength(32);
    s.setTicket(ticket(1000));
    s.setAddressToken(new Uint8Array([8, 8]));
    await s.save();
    expect((await stat(join(dir, CLIENT_STATE_FILE))).mode & 0o777).toBe(0o600);

    const again = await ClientState.open(dir, key);
    expect(again.owner).toEqual(owner);
    expect(again.addressToken).toEqual(new Uint8Array([8, 8]));
    expect(again.takeTicket(2000)).toEqual(ticket(1000));
    expect(again.takeTicket(2000)).toBeUndefined();

    // Another server (or the same one trusted through another certificate) has its own entry.
    const other = await ClientState.open(dir, serverKey('127.0.0.1:5001', 'localhost', new Uint8Array([6])));
    expect(other.owner).not.toEqual(owner);
    expect(other.takeTicket(2000)).toBeUndefined();
    await other.save();
    expect(Object.keys(JSON.parse(await readFile(join(dir, CLIENT_STATE_FILE), 'utf8')) as object)).toHaveLength(2);
  });

  test('drops tickets past their lifetime (and never keeps one beyond seven days)', async () => {
    const dir = await tempDir();
    const s = await ClientState.open(dir, 'k');
    s.setTicket(ticket(0, 10));
    expect(s.takeTicket(9_999)).toBeDefined();
    s.setTicket(ticket(0, 10));
    expect(s.takeTicket(10_000)).toBeUndefined();
    s.setTicket(ticket(0, 30 * 86_400));
    expect(s.takeTicket(7 * 86_400_000)).toBeUndefined();
    s.setTicket(ticket(5000));
    expect(s.takeTicket(4000)).toBeUndefined(); // issued in the future: a clock that jumped back
  });

  test('a damaged file counts as empty and is replaced on the next save', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, CLIENT_STATE_FILE), '{"k": {"owner": 5}, "x": [');
    const s = await ClientState.open(dir, 'k');
    expect(s.takeTicket(0)).toBeUndefined();
    s.setTicket(ticket(0));
    await s.save();
    expect((await ClientState.open(dir, 'k')).takeTicket(1)).toEqual(ticket(0));
  });
});
