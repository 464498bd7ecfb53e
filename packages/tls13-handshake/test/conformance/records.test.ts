/**
 * Conformance, records: one row per MUST of RFC 8446 §5 (and the record
 * side of §4.2.10, §4.6, §6) that a peer can violate. Each row runs our
 * client and server behind RecordLayers (test/record/layer-pair.ts), edits
 * or adds records of the violating side on the wire — sealing them under
 * that side's real keys where they must be protected — and asserts the
 * exact alert the other side sends.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription as A } from '../../src/index.js';
import { ContentType, RecordWriter } from '../../src/record/index.js';
import { earlyDataTicket, layerPair, resume0Rtt, type LayerPair, type Side } from '../record/layer-pair.js';

const ccs = Uint8Array.of(20, 3, 3, 0, 1, 1);
const plain = (type: number, body: number[]) => Uint8Array.from([type, 3, 3, body.length >> 8, body.length & 0xff, ...body]);
const keyUpdate = (v: number) => [24, 0, 0, 1, v];

/** A fresh handshake whose `nth` record from `from` is replaced by `f(record)`. */
const onRecord = (from: Side, nth: number, f: (r: Uint8Array) => Uint8Array[]) => () => {
  const p = layerPair({}, {}, { edit: (who, r, i) => (who === from && i === nth ? f(r) : [r]) });
  p.pump();
  return p;
};
/** The ClientHello record cut into fragments of 100 bytes with `between` after the first. */
const splitHello = (between: Uint8Array) =>
  onRecord('client', 0, (r) => {
    const frags = new RecordWriter(100).encode(ContentType.handshake, r.subarray(5));
    return [frags[0]!, between, ...frags.slice(1)];
  });
/** An open connection (no tickets: both application keys at sequence 0), then `records(p)` from `from`. */
const afterOpen = (from: Side, records: (p: LayerPair) => Uint8Array[]) => () => {
  const p = layerPair();
  p.pump();
  if (p.client.layer.state !== 'open' || p.server.layer.state !== 'open') throw new Error('handshake did not complete');
  for (const r of records(p)) p.inject(from, r);
  p.pump();
  return p;
};

interface Row {
  rule: string;
  by: Side;
  run: () => LayerPair;
  alert: number;
}

const c = 'client' as const;
const ROWS: Row[] = [
  { rule: '8446 §5 change_cipher_spec before the first ClientHello → unexpected_message', by: c, run: onRecord(c, 0, (r) => [ccs, r]), alert: A.unexpected_message },
  { rule: '8446 §5.1 change_cipher_spec between the fragments of a handshake message → unexpected_message', by: c, run: splitHello(ccs), alert: A.unexpected_message },
  { rule: '8446 §5.1 an alert between the fragments of a handshake message → unexpected_message', by: c, run: splitHello(plain(21, [2, 40])), alert: A.unexpected_message },
  { rule: '8446 §5 change_cipher_spec of a value other than 0x01 → unexpected_message', by: c, run: onRecord(c, 0, (r) => [r, plain(20, [2])]), alert: A.unexpected_message },
  { rule: '8446 §5 a second change_cipher_spec → unexpected_message', by: c, run: onRecord(c, 0, (r) => [r, ccs, ccs]), alert: A.unexpected_message },
  { rule: "8446 §5 change_cipher_spec after the peer's Finished → unexpected_message", by: c, run: afterOpen(c, () => [ccs]), alert: A.unexpected_message },
  { rule: '8446 §5 a protected change_cipher_spec → unexpected_message', by: c, run: afterOpen(c, (p) => [p.forge(c, ContentType.change_cipher_spec, Uint8Array.of(1))]), alert: A.unexpected_message },
  { rule: '8446 §5 an unknown record type → unexpected_message', by: c, run: onRecord(c, 0, (r) => [plain(24, [0]), r]), alert: A.unexpected_message },
  { rule: '8446 §5 application data before the handshake keys → unexpected_message', by: c, run: onRecord(c, 0, (r) => [plain(23, [1, 2, 3]), r]), alert: A.unexpected_message },
  { rule: '8446 §5 a plaintext handshake record once keys are in use → unexpected_message', by: c, run: afterOpen(c, () => [plain(22, keyUpdate(0))]), alert: A.unexpected_message },
  { rule: '8446 §5.1 a TLSPlaintext longer than 2^14 → record_overflow', by: c, run: onRecord(c, 0, () => [Uint8Array.of(22, 3, 3, 0x40, 0x01)]), alert: A.record_overflow },
  { rule: '8446 §5.2 a TLSCiphertext longer than 2^14 + 256 → record_overflow', by: c, run: afterOpen(c, () => [Uint8Array.of(23, 3, 3, 0x41, 0x01)]), alert: A.record_overflow },
  { rule: '8446 §5.2 a record that does not authenticate → bad_record_mac', by: c, run: afterOpen(c, (p) => [((r) => ((r[r.length - 1]! ^= 1), r))(p.forge(c, ContentType.application_data, Uint8Array.of(1)))]), alert: A.bad_record_mac },
  { rule: '8446 §5.4 a TLSInnerPlaintext with no non-zero byte → unexpected_message', by: c, run: afterOpen(c, (p) => [p.forgeInner(c, new Uint8Array(20))]), alert: A.unexpected_message },
  { rule: '8446 §5.4 a TLSInnerPlaintext longer than 2^14 + 1 → record_overflow', by: c, run: afterOpen(c, (p) => [p.forgeInner(c, Uint8Array.from([...new Uint8Array(16384), 23, 0]))]), alert: A.record_overflow },
  { rule: '8446 §5.1 a zero-length handshake record → unexpected_message', by: c, run: afterOpen(c, (p) => [p.forge(c, ContentType.handshake, new Uint8Array(0))]), alert: A.unexpected_message },
  { rule: '8446 §6 an alert record of three bytes → decode_error', by: c, run: afterOpen(c, (p) => [p.forge(c, ContentType.alert, Uint8Array.of(2, 40, 0))]), alert: A.decode_error },
  {
    rule: '8446 §5.1 two KeyUpdates in one record (a key change ends its record) → unexpected_message',
    by: c,
    run: afterOpen(c, (p) => [p.forge(c, ContentType.handshake, Uint8Array.from([...keyUpdate(0), ...keyUpdate(0)]))]),
    alert: A.unexpected_message,
  },
  { rule: '8446 §5.1 a KeyUpdate followed by part of another message → unexpected_message', by: c, run: afterOpen(c, (p) => [p.forge(c, ContentType.handshake, Uint8Array.from([...keyUpdate(1), 24, 0]))]), alert: A.unexpected_message },
  {
    rule: '8446 §4.6.3 more than 32 KeyUpdates without application data → unexpected_message (OpenSSL bounds them the same way)',
    by: c,
    run: () => {
      const p = afterOpen(c, () => [])();
      for (let i = 0; i < 33; i++) p.queue(c, p.client.layer.keyUpdate(true));
      p.pump();
      return p;
    },
    alert: A.unexpected_message,
  },
  { rule: '8446 §4.6.1 more 0-RTT data than max_early_data_size → unexpected_message', by: c, run: () => resume0Rtt(earlyDataTicket(100), [new Uint8Array(101)]), alert: A.unexpected_message },
  {
    rule: '8446 §4.2.10 after a HelloRetryRequest, more early data than the server skips → unexpected_message',
    by: c,
    run: () =>
      resume0Rtt(
        earlyDataTicket(1 << 20),
        Array.from({ length: 5 }, () => new Uint8Array(16384)),
        { groups: ['secp256r1'], maxEarlyData: 1 << 20 },
      ),
    alert: A.unexpected_message,
  },
];

describe('conformance: records (RFC 8446 §5, and §4.2.10, §4.6, §6 at the record layer)', () => {
  for (const row of ROWS) {
    it(row.rule, () => {
      const p = row.run();
      expect(p.alertOf(row.by === 'client' ? 'server' : 'client')).toEqual({ description: row.alert, sent: true });
    });
  }
});
