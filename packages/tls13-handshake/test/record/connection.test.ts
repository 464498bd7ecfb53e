import { describe, expect, it } from 'vitest';
import type { HandshakeEventLike as HandshakeEvent } from '../../src/record/handshake-port.js';
import { TlsConnection, type DuplexStream } from '../../src/record/connection.js';
import { TlsRecordError, TlsTruncatedError } from '../../src/record/errors.js';
import { hex, toHex } from './helpers.js';
import { plaintextRecords, protectedRecords, trafficSecrets } from './rfc8448-records.js';
import { ScriptedHandshake } from './scripted-handshake.js';
import { testCrypto } from './test-crypto.js';

const byName = (prefix: string) => protectedRecords.find((v) => v.name.startsWith(prefix))!;
const secret = (prefix: string) => hex(trafficSecrets.find((v) => v.name.startsWith(prefix))!.secret);
const CH = plaintextRecords.find((v) => v.name === '§3 ClientHello')!;
const SH = plaintextRecords.find((v) => v.name === '§3 ServerHello')!;
const S_FLIGHT = byName('§3 server EncryptedExtensions');
const C_FIN = byName('§3 client Finished');
const NST = byName('§3 server NewSessionTicket');
const suite = 0x1301 as const;
const keys = (level: string, direction: string, s: Uint8Array) => ({ type: 'keys', level, direction, cipherSuite: suite, secret: s }) as HandshakeEvent;
const data = (level: string, bytes: string) => ({ type: 'handshake-data', level, bytes: hex(bytes) }) as HandshakeEvent;
const complete = { type: 'complete', cipherSuite: suite, resumed: false, peerCertificates: [hex('3000')], earlyData: 'not-offered', alpn: 'h2' } as HandshakeEvent;
const ticket = { type: 'session-ticket', ticket: { serverName: 's', alpn: 'h2', cipherSuite: suite } } as unknown as HandshakeEvent;

const server = () =>
  new ScriptedHandshake('server', [
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
const client = () =>
  new ScriptedHandshake('client', [
    { call: 'start', events: [data('initial', CH.payload)] },
    { call: 'receive', level: 'initial', length: 90, events: [keys('handshake', 'write', secret('§3 client handshake')), keys('handshake', 'read', secret('§3 server handshake'))] },
    {
      call: 'receive',
      level: 'handshake',
      length: 657,
      events: [data('handshake', C_FIN.payload), keys('application', 'write', secret('§3 client application')), keys('application', 'read', secret('§3 server application')), complete],
      state: 'complete',
    },
    { call: 'receive', level: 'application', length: 205, events: [ticket], state: 'complete' },
  ]);

function pipePair(): [DuplexStream, DuplexStream] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<string> {
  let s = '';
  for await (const c of r as unknown as AsyncIterable<Uint8Array>) s += toHex(c);
  return s;
}

describe('TlsConnection over a Web Streams pair (RFC 8448 §3 handshake)', () => {
  it('handshakes, exchanges data both ways, delivers the ticket and closes cleanly', async () => {
    const [a, b] = pipePair();
    const tickets: unknown[] = [];
    const [c, s] = await Promise.all([TlsConnection.open(a, client(), { crypto: testCrypto, onSessionTicket: (t) => tickets.push(t) }), TlsConnection.open(b, server(), { crypto: testCrypto })]);
    expect(c.handshakeInfo).toEqual({ alpn: 'h2', cipherSuite: suite, cipherSuiteName: 'TLS_AES_128_GCM_SHA256', resumed: false, peerCertificates: [hex('3000')], earlyData: 'not-offered' });
    expect(s.alpn).toBe('h2');
    const cw = c.writable.getWriter();
    await cw.write(hex('0102'));
    await cw.write(new Uint8Array(40000).fill(7));
    await cw.close();
    const sr = readAll(s.readable);
    const sw = s.writable.getWriter();
    await sw.write(hex('aabb'));
    await sw.close();
    expect(await readAll(c.readable)).toBe('aabb');
    expect(await sr).toBe('0102' + '07'.repeat(40000));
    expect(tickets.length).toBe(1);
    expect(c.sessionTickets.length).toBe(1);
    await Promise.all([c.closed, s.closed]);
  });

  it('EOF without close_notify errors the readable with TlsTruncatedError', async () => {
    const [a, b] = pipePair();
    const [c, s] = await Promise.all([TlsConnection.open(a, client(), { crypto: testCrypto }), TlsConnection.open(b, server(), { crypto: testCrypto })]);
    void s;
    // Close the raw transport from the server side without close_notify.
    const raw = (s as unknown as { transportWriter: WritableStreamDefaultWriter<Uint8Array> }).transportWriter;
    await raw.close();
    await expect(readAll(c.readable)).rejects.toSatisfy((e: unknown) => TlsTruncatedError.isInstance(e));
    await c.close();
    await s.close();
  });

  it('a corrupted record fails both sides: the receiver sends bad_record_mac, the sender sees it', async () => {
    const [a, b] = pipePair();
    // Flip a bit in everything the client sends after the ClientHello.
    const flip = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        const copy = chunk.slice();
        if (copy[0] === 0x17) copy[copy.length - 1]! ^= 1;
        ctl.enqueue(copy);
      },
    });
    void a.writable;
    const clientSide: DuplexStream = { readable: a.readable, writable: flip.writable };
    void flip.readable.pipeTo(a.writable);
    const cp = TlsConnection.open(clientSide, client(), { crypto: testCrypto });
    const sp = TlsConnection.open(b, server(), { crypto: testCrypto });
    const sErr = await sp.then(
      () => null,
      (e: unknown) => e,
    );
    expect(TlsRecordError.isInstance(sErr) && [sErr.alert, sErr.sent]).toEqual([20, true]);
    // The client completed its side; the server's alert reaches it.
    const c = await cp;
    await expect(readAll(c.readable)).rejects.toSatisfy((e: unknown) => TlsRecordError.isInstance(e) && e.alert === 20 && !e.sent);
  });

  it('a server suspended on client-hello asks the chooser (async) and continues with its choice', async () => {
    const [a, b] = pipePair();
    const steps = (server() as unknown as { steps: Array<{ call: string }> }).steps;
    const hs = new ScriptedHandshake('server', [
      { call: 'receive', level: 'initial', length: 196, state: 'suspended', events: [{ type: 'client-hello', serverName: 'server', alpn: ['h2'], cipherSuites: [0x1301] } as HandshakeEvent] },
      { ...(steps[0] as object), call: 'accept' } as never,
      steps[1] as never,
    ]);
    const seen: unknown[] = [];
    const [c, s] = await Promise.all([
      TlsConnection.open(a, client(), { crypto: testCrypto }),
      TlsConnection.open(b, hs, {
        crypto: testCrypto,
        choose: async (hello) => {
          seen.push(hello);
          await new Promise((r) => setTimeout(r, 5));
          return { certificateChain: [], privateKey: new Uint8Array(0), alpn: 'h2' };
        },
      }),
    ]);
    expect(seen).toEqual([{ serverName: 'server', alpn: ['h2'], cipherSuites: [0x1301] }]);
    await c.close();
    await s.close();
  });

  it('a chooser that throws fails the handshake with internal_error', async () => {
    const [a, b] = pipePair();
    const hs = new ScriptedHandshake('server', [{ call: 'receive', level: 'initial', length: 196, state: 'suspended', events: [{ type: 'client-hello', alpn: [], cipherSuites: [] } as HandshakeEvent] }]);
    const w = new TransformStream<Uint8Array, Uint8Array>();
    const sp = TlsConnection.open({ readable: w.readable, writable: b.writable }, hs, {
      crypto: testCrypto,
      choose: () => {
        throw new Error('no certificate for that name');
      },
    });
    const writer = w.writable.getWriter();
    await writer.write(hex(CH.record));
    const err = await sp.then(
      () => null,
      (e: unknown) => e,
    );
    expect(TlsRecordError.isInstance(err) && [err.alert, err.sent, err.message]).toEqual([80, true, 'sent internal_error (80): no certificate for that name']);
    const { value } = await a.readable.getReader().read();
    expect(toHex(value!)).toBe('15030300020250');
  });
});
