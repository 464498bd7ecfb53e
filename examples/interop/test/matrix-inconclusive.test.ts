/**
 * When the interop matrix may call a failed handshakeloss run inconclusive
 * and run it again (test/support/matrix.ts): only a handshake held at RFC
 * 9000 §8.1's 3× amplification limit, with every later client datagram lost.
 * The flows are the relay's own report of the CI run that failed that way.
 */
import type { RelayStats } from '@tsquic/relay';
import { describe, expect, it } from 'vitest';
import { CELLS, type CellResult } from './support/matrix.js';

type Flow = RelayStats['flows'][number];

const completed: Flow = {
  id: 1,
  client: '127.0.0.1:56881',
  binding: '127.0.0.1:48999',
  toServer: { datagrams: 9, bytes: 5732 },
  toClient: { datagrams: 7, bytes: 2750 },
  initials: { fromClient: 2, fromServer: 1 },
  amplification: { serverBytes: 1200, clientBytes: 2400, maxRatio: 1, handshakeReceived: true },
  strandedDrops: 0,
};
/** Flow 5 of that run: 1 of the client's 5 Initials reached the server; the server's 3 datagrams were lost in one burst. */
const held: Flow = {
  id: 5,
  client: '127.0.0.1:38156',
  binding: '127.0.0.1:50453',
  toServer: { datagrams: 5, bytes: 6000 },
  toClient: { datagrams: 3, bytes: 3600 },
  initials: { fromClient: 5, fromServer: 3 },
  amplification: { serverBytes: 3600, clientBytes: 1200, maxRatio: 3, handshakeReceived: false },
  strandedDrops: 0,
};

const verdict = (...flows: Flow[]): string | undefined => {
  const cell = CELLS.find((c) => c.name === 'handshakeloss')!;
  return cell.inconclusive!({ ok: false, seconds: 40, notes: [], dir: '', stats: { flows } as unknown as RelayStats } satisfies CellResult);
};

describe('handshakeloss: an inconclusive run', () => {
  it('is one whose server sent the 3× limit for the one datagram that reached it, the client’s others lost', () => {
    expect(verdict(completed, held)).toMatch(/^flow 5: the server sent 3600 B, the 3× limit, for the 1200 B that reached it/);
  });

  it('is not one whose server stopped short of 3×, or heard more from the client, or whose handshakes all got through', () => {
    expect(verdict(completed, { ...held, amplification: { ...held.amplification, serverBytes: 2400, maxRatio: 2 } })).toBeUndefined();
    expect(verdict(completed, { ...held, amplification: { ...held.amplification, clientBytes: 2400, maxRatio: 3 } })).toBeUndefined();
    expect(verdict(completed)).toBeUndefined();
  });
});
