/**
 * Datagrams are built in slabs and leave as views (issue 19: no allocation
 * and no copy per datagram sent), and no datagram is ever overwritten after
 * it left — neither by the next one nor by a recycled buffer.
 */
import { describe, expect, it } from 'vitest';
import { DatagramBuffers, HAND_OFF, SLAB } from '../../src/core/datagram-buffers.js';
import { download } from '../sim/transfer.js';

const INTERNET = { maxDatagramSize: 1452, pmtuDiscovery: false };

describe('datagram buffers', () => {
  it('small datagrams follow one another in one slab; a large one ends its slab; only a large one that began its slab is recycled', () => {
    const b = new DatagramBuffers();
    const area = b.reserve(1452);
    expect(area.length).toBe(SLAB);
    const first = b.take(1200);
    expect(b.reserve(1452)).toBe(area);
    const second = b.take(50);
    expect([first.buffer, first.byteOffset, second.buffer, second.byteOffset]).toEqual([area.buffer, 0, area.buffer, 1200]);
    // Not enough room left for 65,000 bytes: a fresh area; the large datagram takes it with it.
    const big = b.reserve(65_000);
    expect(big).not.toBe(area);
    const large = b.take(65_000);
    const next = b.reserve(1452);
    expect(next).not.toBe(big);
    b.recycle(second); // small, in a shared slab: ignored
    b.recycle(large); // began its slab: back as a spare
    b.take(SLAB); // the slab in use is full (and leaves with its datagram)
    expect(b.reserve(65_000).buffer).toBe(big.buffer);
    b.take(65_000);
    expect(b.reserve(65_000).buffer).not.toBe(area.buffer); // the small datagrams' slab never comes back
  });

  it('a 2 MB download at 1,452 B: the server’s datagrams share a buffer per slab (not one each), and each keeps its bytes after it left', () => {
    const seen: { view: Uint8Array; copy: Uint8Array }[] = [];
    const r = download(
      2_000_000,
      { latencyMs: 5, seed: 3 },
      {
        transport: INTERNET,
        serverTransport: INTERNET,
        before: (env) => {
          env.net.filter = (from, data) => {
            if (from === 'server') seen.push({ view: data, copy: data.slice() });
            return data;
          };
        },
      },
    );
    expect(r.ok).toBe(true);
    expect(seen.length).toBeGreaterThan(1300);
    expect(Math.max(...seen.map((s) => s.view.length))).toBeLessThanOrEqual(1452);
    const buffers = new Set(seen.map((s) => s.view.buffer));
    expect(buffers.size).toBeLessThan(seen.length / 20); // a copy per datagram: one buffer each
    expect(seen.every((s) => Buffer.from(s.view).equals(Buffer.from(s.copy)))).toBe(true);
  });

  it('large datagrams (PMTUD up to 64 KB) still take their buffer: recycled ones come back whole, nothing sent is overwritten', () => {
    const seen: { view: Uint8Array; copy: Uint8Array }[] = [];
    const r = download(
      3_000_000,
      { latencyMs: 5, seed: 4, recycle: true },
      {
        before: (env) => {
          env.net.filter = (from, data) => {
            // A recycled buffer is written again: compare each datagram to its copy at once, keep only the small ones for later.
            if (from === 'server') seen.push({ view: data.length < HAND_OFF ? data : data.slice(), copy: data.slice() });
            return data;
          };
        },
      },
    );
    expect(r.ok).toBe(true);
    expect(seen.some((s) => s.view.length >= HAND_OFF)).toBe(true);
    expect(seen.every((s) => Buffer.from(s.view).equals(Buffer.from(s.copy)))).toBe(true);
  });
});
