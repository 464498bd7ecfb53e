import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HandshakeEventLike as HandshakeEvent } from '../../src/record/handshake-port.js';
import { ContentType, RecordAlert } from '../../src/record/content-type.js';
import { RecordLayer, type RecordLayerOutput } from '../../src/record/record-layer.js';
import { RecordProtection } from '../../src/record/record-protection.js';
import { RecordWriter } from '../../src/record/record-framing.js';
import { concat, hex, nobleAead, toHex } from './helpers.js';
import { plaintextRecords, protectedRecords, trafficSecrets } from './rfc8448-records.js';
import { ScriptedHandshake } from './scripted-handshake.js';
import { expectedTrafficKeys, testCrypto } from './test-crypto.js';

const byName = (prefix: string) => protectedRecords.find((v) => v.name.startsWith(prefix))!;
const secret = (prefix: string) => hex(trafficSecrets.find((v) => v.name.startsWith(prefix))!.secret);
const CH = plaintextRecords.find((v) => v.name === '§3 ClientHello')!;
const SH = plaintextRecords.find((v) => v.name === '§3 ServerHello')!;
const S_FLIGHT = byName('§3 server EncryptedExtensions');
const C_FIN = byName('§3 client Finished');
const NST = byName('§3 server NewSessionTicket');
const S_APP = byName('§3 server application data');
const S_ALERT = byName('§3 server close_notify');
const C_APP = byName('§3 client application data');
const C_ALERT = byName('§3 client close_notify');
const suite = 0x1301 as const;

const keys = (level: 'handshake' | 'application' | 'early', direction: 'read' | 'write', s: Uint8Array): HandshakeEvent => ({ type: 'keys', level, direction, cipherSuite: suite, secret: s }) as HandshakeEvent;
const data = (level: 'initial' | 'handshake' | 'application' | 'early', bytes: string | Uint8Array): HandshakeEvent => ({ type: 'handshake-data', level, bytes: typeof bytes === 'string' ? hex(bytes) : bytes }) as HandshakeEvent;
const complete = { type: 'complete', alpn: undefined, cipherSuite: suite, resumed: false, peerCertificates: [], earlyData: 'not-offered' } as unknown as HandshakeEvent;

function rfc8448Server(): ScriptedHandshake {
  return new ScriptedHandshake('server', [
    {
      call: 'receive',
      level: 'initial',
      length: 196,
      events: [
        data('initial', SH.payload),
        keys('handshake', 'write', secret('§3 server handshake')),
        data('handshake', S_FLIGHT.payload),
        keys('application', 'write', secret('§3 server application')),
        keys('handshake', 'read', secret('§3 client handshake')),
      ],
    },
    { call: 'receive', level: 'handshake', length: 36, events: [keys('application', 'read', secret('§3 client application')), complete, data('application', NST.payload)], state: 'complete' },
  ]);
}

function rfc8448Client(): ScriptedHandshake {
  return new ScriptedHandshake('client', [
    { call: 'start', events: [data('initial', CH.payload)] },
    { call: 'receive', level: 'initial', length: 90, events: [keys('handshake', 'write', secret('§3 client handshake')), keys('handshake', 'read', secret('§3 server handshake'))] },
    {
      call: 'receive',
      level: 'handshake',
      length: 657,
      events: [data('handshake', C_FIN.payload), keys('application', 'write', secret('§3 client application')), keys('application', 'read', secret('§3 server application')), complete],
      state: 'complete',
    },
  ]);
}

const layerFor = (hs: ScriptedHandshake, extra: object = {}) => new RecordLayer(hs, { crypto: testCrypto, ...extra });
const sent = (o: RecordLayerOutput) => o.send.map(toHex);

describe('RecordLayer: RFC 8448 §3 byte for byte', () => {
  it('server: ServerHello in clear, then the encrypted flight, ticket, data and close_notify', () => {
    const hs = rfc8448Server();
    const layer = layerFor(hs);
    const o1 = layer.receive(hex(CH.record), 0);
    expect(sent(o1)).toEqual([SH.record, S_FLIGHT.record]);
    expect(toHex(hs.received[0]!.bytes)).toBe(CH.payload);
    const o2 = layer.receive(hex(C_FIN.record), 0);
    expect(hs.received[1]).toEqual({ level: 'handshake', bytes: hex(C_FIN.payload) });
    expect(sent(o2)).toEqual([NST.record]);
    expect(o2.events.map((e) => e.type)).toEqual(['complete']);
    expect(layer.state).toBe('open');
    const o3 = layer.receive(hex(C_APP.record), 0);
    expect(o3.appData.map(toHex)).toEqual([C_APP.payload]);
    expect(sent(layer.write(hex(S_APP.payload)))).toEqual([S_APP.record]);
    expect(sent(layer.close())).toEqual([S_ALERT.record]);
    const o4 = layer.receive(hex(C_ALERT.record), 0);
    expect(o4.events).toEqual([{ type: 'close-notify' }]);
    expect(layer.readClosed && layer.writeClosed).toBe(true);
  });

  it('client: ClientHello (0x0301 record), Finished, data, close_notify — input byte by byte', () => {
    const hs = rfc8448Client();
    const layer = layerFor(hs);
    expect(sent(layer.start(0))).toEqual([CH.record]);
    const stream = concat([hex(SH.record), hex(S_FLIGHT.record), hex(NST.record), hex(S_APP.record), hex(S_ALERT.record)]);
    const out: RecordLayerOutput = { send: [], appData: [], events: [] };
    for (let i = 0; i < stream.length; i++) {
      const o = layer.receive(stream.subarray(i, i + 1), 0);
      out.send.push(...o.send);
      out.appData.push(...o.appData);
      out.events.push(...o.events);
    }
    expect(sent(out)).toEqual([C_FIN.record]);
    expect(out.appData.map(toHex)).toEqual([S_APP.payload]);
    expect(out.events.map((e) => e.type)).toEqual(['complete', 'close-notify']);
    // The ticket went to the Handshake at the application level.
    expect(hs.received.filter((r) => r.level === 'application').map((r) => toHex(r.bytes))).toEqual([NST.payload]);
    expect(sent(layer.write(hex(C_APP.payload)))).toEqual([C_APP.record]);
    expect(sent(layer.close())).toEqual([C_ALERT.record]);
  });

  it('client: the same stream in one chunk gives the same result', () => {
    const layer = layerFor(rfc8448Client());
    layer.start(0);
    const o = layer.receive(concat([hex(SH.record), hex(S_FLIGHT.record), hex(NST.record), hex(S_APP.record)]), 0);
    expect(sent(o)).toEqual([C_FIN.record]);
    expect(o.appData.map(toHex)).toEqual([S_APP.payload]);
  });
});

/** A server layer past the RFC 8448 handshake, and a writer that speaks as the RFC's client. */
function openServer(extra: object = {}) {
  const hs = rfc8448Server();
  const layer = layerFor(hs, extra);
  layer.receive(hex(CH.record), 0);
  layer.receive(hex(C_FIN.record), 0);
  const peer = new RecordWriter();
  peer.setProtection(new RecordProtection(nobleAead('aes-128-gcm', hex(C_APP.key)), hex(C_APP.iv), suite));
  return { hs, layer, peer };
}

function failsWith(o: RecordLayerOutput, alert: number) {
  expect(o.events.at(-1)).toEqual({ type: 'alert', description: alert, sent: true, reason: expect.any(String) }); // our alerts say why
  expect(o.send.length).toBeGreaterThan(0); // the alert record went out
}

describe('RecordLayer: RFC 8446 §5 rules', () => {
  it('drops one CCS record before the peer Finished; a second is unexpected_message', () => {
    const layer = layerFor(rfc8448Server());
    const o1 = layer.receive(concat([hex(CH.record), hex('140303000101')]), 0);
    expect(o1.events).toEqual([]);
    failsWith(layer.receive(hex('140303000101'), 0), RecordAlert.unexpected_message);
    expect(layer.state).toBe('failed');
  });

  it('a CCS after the handshake, or with a value other than 1, is unexpected_message', () => {
    failsWith(openServer().layer.receive(hex('140303000101'), 0), RecordAlert.unexpected_message);
    const layer = layerFor(rfc8448Server());
    layer.receive(hex(CH.record), 0);
    failsWith(layer.receive(hex('140303000102'), 0), RecordAlert.unexpected_message);
  });

  it('the alert is sent under the current write key', () => {
    const { layer } = openServer();
    const o = layer.receive(hex('140303000101'), 0);
    const reader = new RecordProtection(nobleAead('aes-128-gcm', hex(S_APP.key)), hex(S_APP.iv), suite);
    reader.open(hex(NST.record).subarray(0, 5), hex(NST.record).subarray(5)); // seq 0 was the ticket
    const rec = o.send[0]!;
    expect(reader.open(rec.subarray(0, 5), rec.subarray(5))).toEqual({ contentType: ContentType.alert, content: hex('020a') });
  });

  it('a tampered record is bad_record_mac', () => {
    const { layer, peer } = openServer();
    const rec = peer.encode(ContentType.application_data, hex('0102'))[0]!;
    rec[rec.length - 1]! ^= 0x80;
    failsWith(layer.receive(rec, 0), RecordAlert.bad_record_mac);
  });

  it('an oversized record is record_overflow, detected from its header', () => {
    failsWith(openServer().layer.receive(hex('1703034101'), 0), RecordAlert.record_overflow);
    failsWith(layerFor(rfc8448Server()).receive(hex('1603034001'), 0), RecordAlert.record_overflow);
  });

  it('application data before keys, and plaintext handshake after keys, are unexpected_message', () => {
    failsWith(layerFor(rfc8448Server()).receive(hex('170303000100'), 0), RecordAlert.unexpected_message);
    failsWith(openServer().layer.receive(hex('16030300040b000000'), 0), RecordAlert.unexpected_message);
  });

  it('a record between the fragments of a handshake message is unexpected_message', () => {
    const { layer, peer } = openServer();
    // The first 3 bytes of a 4-byte KeyUpdate header, then application data.
    layer.receive(peer.encode(ContentType.handshake, hex('180000'))[0]!, 0);
    failsWith(layer.receive(peer.encode(ContentType.application_data, hex('00'))[0]!, 0), RecordAlert.unexpected_message);
  });

  it('a handshake message spanning a key change is unexpected_message', () => {
    const hs = new ScriptedHandshake('server', [{ call: 'receive', level: 'initial', length: 196, events: [keys('handshake', 'write', secret('§3 server handshake')), keys('handshake', 'read', secret('§3 client handshake'))] }]);
    const layer = layerFor(hs);
    // ClientHello plus the first byte of another message in the same record.
    const rec = new RecordWriter().encode(ContentType.handshake, concat([hex(CH.payload), hex('14')]))[0]!;
    failsWith(layer.receive(rec, 0), RecordAlert.unexpected_message);
  });

  it('zero-length handshake records and malformed alerts are rejected', () => {
    const a = openServer();
    const p = new RecordProtection(nobleAead('aes-128-gcm', hex(C_APP.key)), hex(C_APP.iv), suite);
    failsWith(a.layer.receive(p.seal(ContentType.handshake, new Uint8Array(0)), 0), RecordAlert.unexpected_message);
    const b = openServer();
    failsWith(b.layer.receive(b.peer.encode(ContentType.alert, hex('020a0a'))[0]!, 0), RecordAlert.decode_error);
  });

  it('surfaces a peer error alert without answering it, and ignores data after close_notify', () => {
    const a = openServer();
    const o = a.layer.receive(a.peer.encode(ContentType.alert, hex('0228'))[0]!, 0);
    expect(o).toEqual({ send: [], appData: [], events: [{ type: 'alert', description: 40, sent: false }] });
    expect(a.layer.state).toBe('failed');
    const b = openServer();
    const o2 = b.layer.receive(concat([...b.peer.encode(ContentType.alert, hex('0100')), ...b.peer.encode(ContentType.application_data, hex('ff'))]), 0);
    expect(o2.events).toEqual([{ type: 'close-notify' }]);
    expect(o2.appData).toEqual([]);
    expect(b.layer.receive(hex('deadbeef'), 0).events).toEqual([]);
    // Half-close: we can still write.
    expect(b.layer.write(hex('01')).send.length).toBe(1);
  });

  it('a plaintext alert from a peer that has no keys yet is surfaced during the handshake', () => {
    const layer = layerFor(rfc8448Server());
    layer.receive(hex(CH.record), 0);
    expect(layer.receive(hex('15030300020246'), 0).events).toEqual([{ type: 'alert', description: 70, sent: false }]);
  });

  it('handshake alerts are sent as records under the current key', () => {
    const hs = new ScriptedHandshake('server', [{ call: 'receive', level: 'initial', events: [{ type: 'alert', description: 47, sent: true } as HandshakeEvent], state: 'failed' }]);
    const layer = layerFor(hs);
    const o = layer.receive(hex(CH.record), 0);
    expect(sent(o)).toEqual(['1503030002022f']);
    expect(o.events).toEqual([{ type: 'alert', description: 47, sent: true }]);
  });

  it('empty application data records are accepted and yield nothing', () => {
    const { layer, peer } = openServer();
    expect(layer.receive(peer.encode(ContentType.application_data, new Uint8Array(0))[0]!, 0).appData).toEqual([]);
    expect(layer.state).toBe('open');
  });
});

describe('RecordLayer: KeyUpdate (RFC 8446 §4.6.3)', () => {
  const next1 = new Uint8Array(32).fill(0x11);
  const next2 = new Uint8Array(32).fill(0x22);

  it('sends KeyUpdate under the old key and switches exactly at the keys event', () => {
    const { hs, layer } = openServer();
    (hs as unknown as { steps: unknown[] }).steps.push({ call: 'keyUpdate', state: 'complete', events: [data('application', '1800000101'), keys('application', 'write', next1)] });
    const o = layer.keyUpdate(true);
    expect(hs.keyUpdates).toEqual([true]);
    expect(o.events).toEqual([{ type: 'key-update', direction: 'write' }]);
    const old = new RecordProtection(nobleAead('aes-128-gcm', hex(S_APP.key)), hex(S_APP.iv), suite);
    old.open(hex(NST.record).subarray(0, 5), hex(NST.record).subarray(5));
    const ku = o.send[0]!;
    expect(old.open(ku.subarray(0, 5), ku.subarray(5))).toEqual({ contentType: ContentType.handshake, content: hex('1800000101') });
    const rec = layer.write(hex('abcd')).send[0]!;
    const fresh = newProtection(next1);
    expect(toHex(fresh.open(rec.subarray(0, 5), rec.subarray(5)).content)).toBe('abcd');
  });

  it('installs the new read key where the peer KeyUpdate is processed, even mid-chunk', () => {
    const { hs, layer, peer } = openServer();
    (hs as unknown as { steps: unknown[] }).steps.push({ call: 'receive', level: 'application', length: 5, state: 'complete', events: [keys('application', 'read', next2)] });
    const ku = peer.encode(ContentType.handshake, hex('1800000100'))[0]!;
    const after = newProtection(next2).seal(ContentType.application_data, hex('beef'));
    const o = layer.receive(concat([ku, after]), 0);
    expect(o.events).toEqual([{ type: 'key-update', direction: 'read' }]);
    expect(o.appData.map(toHex)).toEqual(['beef']);
  });

  it('updates the write key on its own before the configured record limit (RFC 8446 §5.5)', () => {
    const { hs, layer } = openServer({ keyUpdateAfterRecords: 3 });
    (hs as unknown as { steps: unknown[] }).steps.push({ call: 'keyUpdate', state: 'complete', events: [data('application', '1800000100'), keys('application', 'write', next1)] });
    // NST used seq 0; two writes use seq 1 and 2; the third triggers the update.
    layer.write(hex('01'));
    layer.write(hex('02'));
    expect(hs.keyUpdates).toEqual([]);
    const o = layer.write(hex('03'));
    expect(hs.keyUpdates).toEqual([false]);
    expect(o.send.length).toBe(2);
    expect(toHex(newProtection(next1).open(o.send[1]!.subarray(0, 5), o.send[1]!.subarray(5)).content)).toBe('03');
  });
});

describe('RecordLayer: suspension and fragmentation', () => {
  it('holds input while the Handshake is suspended and continues after accept()', () => {
    const hs = new ScriptedHandshake('server', [
      { call: 'receive', level: 'initial', length: 196, state: 'suspended', events: [{ type: 'client-hello', alpn: [], cipherSuites: [0x1301] } as unknown as HandshakeEvent] },
      ...((rfc8448Server() as unknown as { steps: unknown[] }).steps.map((s, i) => (i === 0 ? { ...(s as object), call: 'accept' } : s)) as never[]),
    ]);
    const layer = layerFor(hs);
    const o1 = layer.receive(concat([hex(CH.record), hex(C_FIN.record)]), 0);
    expect(o1.events.map((e) => e.type)).toEqual(['client-hello']);
    expect(hs.received.length).toBe(1);
    const o2 = layer.accept({ certificateChain: [], privateKey: new Uint8Array(0), alpn: '' });
    expect(sent(o2)).toEqual([SH.record, S_FLIGHT.record, NST.record]);
    expect(o2.events.map((e) => e.type)).toEqual(['complete']);
  });

  it('fragments large writes into 2^14-byte records and small maxFragment handshake records', () => {
    const { layer } = openServer();
    const o = layer.write(new Uint8Array(40000));
    expect(o.send.map((r) => r.length - 5 - 17)).toEqual([16384, 16384, 7232]);
    const hs = rfc8448Client();
    const small = layerFor(hs, { maxFragment: 64 });
    expect(small.start(0).send.map((r) => r.length - 5)).toEqual([64, 64, 64, 4]);
  });

  it('skips undecryptable 0-RTT records after the server rejects early data (RFC 8446 §4.2.10)', () => {
    const hs = new ScriptedHandshake('server', [
      {
        call: 'receive',
        level: 'initial',
        length: 196,
        events: [
          { type: 'early-data', status: 'rejected' } as HandshakeEvent,
          data('initial', SH.payload),
          keys('handshake', 'write', secret('§3 server handshake')),
          data('handshake', S_FLIGHT.payload),
          keys('application', 'write', secret('§3 server application')),
          keys('handshake', 'read', secret('§3 client handshake')),
        ],
      },
      { call: 'receive', level: 'handshake', length: 36, events: [complete], state: 'complete' },
    ]);
    const layer = layerFor(hs, { maxSkippedEarlyData: 100 });
    const early = newProtection(new Uint8Array(32).fill(9)).seal(ContentType.application_data, new Uint8Array(20));
    const o = layer.receive(concat([hex(CH.record), early, early, hex(C_FIN.record)]), 0);
    expect(o.events.map((e) => e.type)).toEqual(['early-data', 'complete']);
    // Beyond the budget it is bad_record_mac.
    const hs2 = new ScriptedHandshake('server', [
      {
        call: 'receive',
        level: 'initial',
        length: 196,
        events: [{ type: 'early-data', status: 'rejected' } as HandshakeEvent, keys('handshake', 'write', secret('§3 server handshake')), keys('handshake', 'read', secret('§3 client handshake'))],
      },
    ]);
    const layer2 = layerFor(hs2, { maxSkippedEarlyData: 30 });
    failsWith(layer2.receive(concat([hex(CH.record), early, early]), 0), RecordAlert.bad_record_mac);
  });
});

function newProtection(s: Uint8Array): RecordProtection {
  const { key, iv } = expectedTrafficKeys(s);
  return new RecordProtection(nobleAead('aes-128-gcm', key), iv, suite);
}

describe('RecordLayer: hostile input (property)', () => {
  const runs = Number(process.env.TSQUIC_FUZZ_RUNS ?? 200);
  it('random bytes after the handshake never throw; a fault always ends in one sent alert', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (chunks) => {
        const { layer } = openServer();
        const events = chunks.flatMap((c) => layer.receive(c, 0).events);
        const alerts = events.filter((e) => e.type === 'alert');
        expect(alerts.length).toBeLessThanOrEqual(1);
        if (layer.state === 'failed') expect(alerts.length).toBe(1);
      }),
      { numRuns: runs },
    );
  });
  it('mutated RFC 8448 client flights never throw', () => {
    const stream = concat([hex(CH.record), hex(C_FIN.record), hex(C_APP.record)]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: stream.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 64 }), (pos, xor, split) => {
        const bad = stream.slice();
        bad[pos]! ^= xor;
        const layer = layerFor(rfc8448Server());
        for (let i = 0; i < bad.length; i += split) layer.receive(bad.subarray(i, i + split), 0);
        expect(['failed', 'open', 'handshaking']).toContain(layer.state);
      }),
      { numRuns: runs },
    );
  });
});
