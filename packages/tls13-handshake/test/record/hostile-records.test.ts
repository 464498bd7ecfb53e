/**
 * Issue 15 findings at the record layer (RFC 8446 §4.2.10, §4.6.3, §5, §5.1),
 * with a real client and server behind RecordLayers: 0-RTT offered to a
 * server that answers with a HelloRetryRequest (finding 2), more 0-RTT data
 * than max_early_data_size (3), KeyUpdate abuse (7), and change_cipher_spec
 * where RFC 8446 §5 forbids it (9).
 */
import { describe, expect, it } from 'vitest';
import { ContentType, RecordWriter } from '../../src/record/index.js';
import { earlyDataTicket, layerPair, resume0Rtt } from './layer-pair.js';

const text = (s: string) => new TextEncoder().encode(s);
const joined = (parts: Uint8Array[]) => new TextDecoder().decode(Uint8Array.from(parts.flatMap((p) => [...p])));
const ticket = earlyDataTicket;

describe('finding 2: 0-RTT offered to a server that answers with a HelloRetryRequest (RFC 8446 §4.2.10)', () => {
  for (const early of [[], [text('early one'), text('early two')]]) {
    it(`${early.length} early records: the server skips them, the client sends ClientHello 2 in plaintext, both complete`, () => {
      const p = resume0Rtt(ticket(1024), early, { groups: ['secp256r1'] });
      expect(p.alertOf('client')).toBeUndefined();
      expect(p.alertOf('server')).toBeUndefined();
      expect(p.client.layer.state).toBe('open');
      expect(p.server.layer.state).toBe('open');
      for (const side of [p.client, p.server]) {
        expect(side.events.find((e) => e.type === 'early-data')).toMatchObject({ status: 'rejected' });
        expect(side.events.find((e) => e.type === 'complete')).toMatchObject({ resumed: true, earlyData: 'rejected' });
      }
      expect(p.server.appData).toEqual([]); // the rejected early data never reaches the application
      // ClientHello 2 is the first plaintext handshake record after the early records
      const hellos = p.client.sent.filter((r) => r[0] === ContentType.handshake);
      expect(hellos.length).toBeGreaterThanOrEqual(2);
      expect(hellos[1]![5]).toBe(1); // msg_type client_hello, unprotected
      p.queue('client', p.client.layer.write(text('after')));
      p.pump();
      expect(joined(p.server.appData)).toBe('after');
    });
  }
});

describe('finding 3: the server enforces max_early_data_size (RFC 8446 §4.6.1)', () => {
  it('within the ticket’s 1,024 bytes: accepted and delivered', () => {
    const p = resume0Rtt(ticket(1024), [new Uint8Array(1024).fill(1)]);
    expect(p.server.events.find((e) => e.type === 'early-data')).toEqual({ type: 'early-data', status: 'accepted', maxEarlyData: 1024 });
    expect(p.server.appData.reduce((n, d) => n + d.length, 0)).toBe(1024);
    expect(p.alertOf('server')).toBeUndefined();
  });
  it('one byte more: unexpected_message (before: 212,992 bytes were accepted)', () => {
    const p = resume0Rtt(ticket(1024), [new Uint8Array(1000), new Uint8Array(25)]);
    expect(p.alertOf('server')).toEqual({ description: 10, sent: true });
    expect(p.server.appData.reduce((n, d) => n + d.length, 0)).toBe(1000);
  });
});

/** An open connection without session tickets: both application write keys are at sequence 0. */
function open() {
  const p = layerPair({}, {});
  p.pump();
  expect(p.client.layer.state).toBe('open');
  return p;
}
const keyUpdate = (requested: boolean) => Uint8Array.of(24, 0, 0, 1, requested ? 1 : 0);

describe('finding 7: KeyUpdate (RFC 8446 §5.1, §4.6.3)', () => {
  it('two KeyUpdates in one record: unexpected_message (a message that changes keys ends its record)', () => {
    const p = open();
    p.inject('client', p.forge('client', ContentType.handshake, Uint8Array.from([...keyUpdate(false), ...keyUpdate(false)])));
    p.pump();
    expect(p.alertOf('server')).toEqual({ description: 10, sent: true });
  });

  it('a KeyUpdate followed by the start of another message in the same record: unexpected_message', () => {
    const p = open();
    p.inject('client', p.forge('client', ContentType.handshake, Uint8Array.from([...keyUpdate(false), 24, 0])));
    p.pump();
    expect(p.alertOf('server')).toEqual({ description: 10, sent: true });
  });

  it('update_requested many times while we are silent: answered by one KeyUpdate, before our next data', () => {
    const p = open();
    // The client's own record layer sends each KeyUpdate in a record of its own, under the previous key.
    for (let i = 0; i < 20; i++) p.queue('client', p.client.layer.keyUpdate(true));
    p.pump();
    expect(p.server.events.filter((e) => e.type === 'key-update')).toHaveLength(20);
    const before = p.server.sent.length;
    expect(before).toBe(p.server.sent.length); // nothing answered yet
    p.queue('server', p.server.layer.write(text('reply')));
    expect(p.server.sent.length - before).toBe(2); // one KeyUpdate, then the data
    p.pump();
    expect(joined(p.client.appData)).toBe('reply');
    expect(p.alertOf('client')).toBeUndefined();
  });

  it('20,000 KeyUpdates without application data: the connection closes after 32 (unexpected_message), having answered none', () => {
    const p = open();
    const t0 = performance.now();
    for (let i = 0; i < 20_000 && p.server.layer.state !== 'failed'; i++) {
      p.queue('client', p.client.layer.keyUpdate(true));
      p.pump();
    }
    expect(p.alertOf('server')).toEqual({ description: 10, sent: true });
    expect(p.server.events.filter((e) => e.type === 'key-update')).toHaveLength(32);
    expect(p.server.appWriteSecrets).toHaveLength(1); // never updated its own key
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('application data between KeyUpdates resets the count', () => {
    const p = open();
    for (let i = 0; i < 100; i++) {
      p.queue('client', p.client.layer.keyUpdate(false));
      if (i % 30 === 29) p.queue('client', p.client.layer.write(text('x')));
      p.pump();
    }
    expect(p.alertOf('server')).toBeUndefined();
    expect(joined(p.server.appData)).toBe('xxx');
  });
});

describe('finding 9: change_cipher_spec placement (RFC 8446 §5, §5.1)', () => {
  const ccs = Uint8Array.of(20, 3, 3, 0, 1, 1);
  it('before the first ClientHello: unexpected_message at the server', () => {
    const p = layerPair({}, {}, { edit: (from, r, i) => (from === 'client' && i === 0 ? [ccs, r] : [r]) });
    p.pump();
    expect(p.alertOf('server')).toEqual({ description: 10, sent: true });
  });

  it('between two fragments of the ClientHello: unexpected_message, as an alert there is refused', () => {
    const split = (between: Uint8Array) => (from: string, r: Uint8Array, i: number) => {
      if (from !== 'client' || i !== 0) return [r];
      const w = new RecordWriter(100);
      const frags = w.encode(ContentType.handshake, r.subarray(5));
      return [frags[0]!, between, ...frags.slice(1)];
    };
    const withCcs = layerPair({}, {}, { edit: split(ccs) });
    withCcs.pump();
    expect(withCcs.alertOf('server')).toEqual({ description: 10, sent: true });
    const withAlert = layerPair({}, {}, { edit: split(Uint8Array.of(21, 3, 3, 0, 2, 1, 0)) });
    withAlert.pump();
    expect(withAlert.alertOf('server')).toEqual({ description: 10, sent: true });
  });

  it('after the ClientHello, once: dropped (compatibility mode, Appendix D.4); a second one: unexpected_message', () => {
    const once = layerPair({}, {}, { edit: (from, r, i) => (from === 'client' && i === 0 ? [r, ccs] : [r]) });
    once.pump();
    expect(once.server.layer.state).toBe('open');
    const twice = layerPair({}, {}, { edit: (from, r, i) => (from === 'client' && i === 0 ? [r, ccs, ccs] : [r]) });
    twice.pump();
    expect(twice.alertOf('server')).toEqual({ description: 10, sent: true });
  });
});
