import { describe, expect, it } from 'vitest';
import { missingSettings, SETTINGS_ENABLE_WEBTRANSPORT } from '../src/settings.js';

const settings = (entries: Array<[bigint, bigint]>): Map<bigint, bigint> => new Map(entries);

/** Chromium 156's SETTINGS, as scripts/chromium-probe.ts logged them (CHROMIUM.md; the GREASE entry left out). */
const CHROMIUM = settings([
  [0x1n, 65536n],
  [0x6n, 16384n],
  [0x7n, 100n],
  [0x33n, 1n],
  [0xffd277n, 1n],
  [0x2b603742n, 1n],
]);

describe('what each side requires of the other (draft-ietf-webtrans-http3 §3.1, draft-02)', () => {
  it("a server finds everything in Chromium's SETTINGS (it sends no ENABLE_CONNECT_PROTOCOL, and need not)", () => {
    expect(SETTINGS_ENABLE_WEBTRANSPORT).toBe(0x2b603742n);
    expect(missingSettings(CHROMIUM, 'server')).toEqual([]);
  });

  it("the draft-04 H3_DATAGRAM code point counts like RFC 9297's", () => {
    expect(
      missingSettings(
        settings([
          [0x2b603742n, 1n],
          [0xffd277n, 1n],
        ]),
        'server',
      ),
    ).toEqual([]);
  });

  it('names what is missing', () => {
    expect(missingSettings(settings([]), 'server')).toEqual(['SETTINGS_ENABLE_WEBTRANSPORT', 'SETTINGS_H3_DATAGRAM']);
    expect(
      missingSettings(
        settings([
          [0x2b603742n, 0n],
          [0x33n, 1n],
        ]),
        'server',
      ),
    ).toEqual(['SETTINGS_ENABLE_WEBTRANSPORT']);
    // Only the later drafts' setting (what Chromium refuses too, CHROMIUM.md).
    expect(
      missingSettings(
        settings([
          [0x2c7cf000n, 1n],
          [0x33n, 1n],
          [0x8n, 1n],
        ]),
        'client',
      ),
    ).toEqual(['SETTINGS_ENABLE_WEBTRANSPORT']);
    expect(
      missingSettings(
        settings([
          [0x2b603742n, 1n],
          [0x33n, 1n],
        ]),
        'client',
      ),
    ).toEqual(['SETTINGS_ENABLE_CONNECT_PROTOCOL']);
  });
});
