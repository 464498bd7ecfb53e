/**
 * @module fuzz/targets-http3
 * Fuzz targets for HTTP/3 (RFC 9114, packages/http3/src) — the sans-IO
 * modules a peer's bytes reach: frames on the control stream
 * (`ControlStreamReceiver`) and on request streams (`MessageFraming`, QPACK,
 * then the request/response head and trailer rules), capsules and HTTP/3
 * datagrams (RFC 9297), and the Alt-Svc parser. Byte 0 of an input picks
 * the receiver and how the bytes are cut; the rest is the peer's bytes.
 * Beyond "no unexpected exception", each target checks invariants: the
 * frame loop always progresses, content counted never exceeds what came in,
 * a capsule's value is never larger than its input, an Alt-Svc value we
 * build from a parse parses back the same.
 * Seeds: fuzz/corpus/http3-* (written by fuzz/seed-http3.ts).
 */
import { altSvc, parseAltSvc } from '../packages/http3/src/alt-svc.js';
import { CapsuleDecoder } from '../packages/http3/src/capsule.js';
import { ControlStreamReceiver } from '../packages/http3/src/control-stream.js';
import { decodeHttpDatagram } from '../packages/http3/src/datagram.js';
import { Http3Error } from '../packages/http3/src/errors.js';
import type { Role } from '../packages/http3/src/frames.js';
import { contentLengthOf, parseRequestHead, parseResponseHead, parseTrailers } from '../packages/http3/src/message.js';
import { FieldSectionTooLargeError, QpackDecoder, QpackError } from '../packages/http3/src/qpack/index.js';
import { MessageFraming } from '../packages/http3/src/request-stream.js';
import type { Target } from './engine.js';

/** A bug signal from inside a target. */
class Violation extends Error {
  override name = 'Violation';
}

const COVER = ['/packages/http3/src/'];
const expected = (e: unknown) => Http3Error.isInstance(e) || QpackError.isInstance(e) || FieldSectionTooLargeError.isInstance(e);

/** `bytes` in pieces: whole, halves, single octets, or 5 octets. */
function pieces(mode: number, bytes: Uint8Array): Uint8Array[] {
  const size = [bytes.length || 1, Math.ceil(bytes.length / 2) || 1, 1, 5][mode & 3]!;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** A request or response stream as its receiver reads it: frames, QPACK, message rules, FIN. */
function requestStream(role: Role, chunks: Uint8Array[]): void {
  const framing = new MessageFraming(role, { maxHeadersFrameSize: 16 * 1024 });
  const qpack = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 4, maxFieldSectionSize: 16 * 1024 });
  let total = 0;
  for (const chunk of chunks) {
    total += chunk.length;
    framing.feed(chunk);
    for (let steps = 0, e = framing.next(); e; e = framing.next(), steps++) {
      if (steps > chunk.length + 2) throw new Violation('frame loop without progress');
      if (e.kind !== 'frame') continue;
      const result = qpack.decodeFieldSection(0n, e.payload);
      if (!('fields' in result)) return; // blocked: nothing more is read from this stream (RFC 9204 §2.2.1)
      if (framing.phase === 'content') {
        parseTrailers(result.fields);
        framing.headersDone();
      } else if (role === 'server') {
        framing.headersDone({ contentLength: contentLengthOf(parseRequestHead(result.fields, true).fields) });
      } else {
        const head = parseResponseHead(result.fields);
        framing.headersDone({ interim: head.status < 200, contentLength: contentLengthOf(head.fields), noContent: head.status === 204 || head.status === 304 });
      }
    }
    if (framing.received > total) throw new Violation(`counted ${framing.received} content bytes of ${total} received`);
  }
  framing.finish();
}

const frames: Omit<Target, 'seeds'> = {
  name: 'http3/frames',
  cover: COVER,
  // byte 0: bit 0 the receiver (server/client), bit 1 the stream (control/request), bits 2-3 the cut; then the stream's bytes
  run(d) {
    if (d.length === 0) return;
    const role: Role = d[0]! & 1 ? 'server' : 'client';
    const chunks = pieces(d[0]! >> 2, d.subarray(1));
    if (d[0]! & 2) {
      const control = new ControlStreamReceiver(role, { frameBurst: 64, framesPerSecond: 10 });
      chunks.forEach((c, i) => control.push(c, i));
    } else requestStream(role, chunks);
  },
  expected,
};

const capsules: Omit<Target, 'seeds'> = {
  name: 'http3/capsules',
  cover: COVER,
  // byte 0: which capsule types are wanted (bit i: type % 8 == i) and the cut (bits 6-7); the rest is a data stream,
  // and also one QUIC DATAGRAM payload (quarter stream ID, RFC 9297 §2.1)
  run(d) {
    if (d.length === 0) return;
    const mask = d[0]!;
    const body = d.subarray(1);
    try {
      const { payload } = decodeHttpDatagram(body);
      if (payload.length >= body.length) throw new Violation('datagram payload not shorter than the datagram');
    } catch (e) {
      if (!Http3Error.isInstance(e)) throw e;
    }
    const decoder = new CapsuleDecoder({ wanted: (t) => ((mask >> Number(t % 8n)) & 1) === 1, maxCapsuleSize: 1024 });
    let delivered = 0;
    for (const chunk of pieces(mask >> 6, body)) for (const c of decoder.push(chunk)) delivered += c.value.length;
    if (delivered > body.length) throw new Violation(`delivered ${delivered} value bytes from ${body.length}`);
    decoder.finish();
  },
  expected,
};

const altSvcTarget: Omit<Target, 'seeds'> = {
  name: 'http3/alt-svc',
  cover: ['/packages/http3/src/alt-svc.ts'],
  run(d) {
    const parsed = parseAltSvc(Buffer.from(d).toString('latin1'));
    if (parsed === 'clear' || parsed.length === 0) return;
    let rebuilt: string;
    try {
      rebuilt = altSvc(parsed);
    } catch (e) {
      // Hosts with quotes, backslashes or spaces cannot be written back: the builder refuses them (a TypeError).
      if (e instanceof TypeError) return;
      throw e;
    }
    if (JSON.stringify(parseAltSvc(rebuilt)) !== JSON.stringify(parsed)) throw new Violation(`Alt-Svc round trip differs: ${rebuilt}`);
  },
  expected: () => false,
  maxLength: 300,
};

/** The HTTP/3 targets, with their seed corpora. */
export function http3Targets(corpus: (name: string) => Uint8Array[]): Target[] {
  return [
    { ...frames, seeds: () => corpus('http3-frames') },
    { ...capsules, seeds: () => corpus('http3-capsules') },
    { ...altSvcTarget, seeds: () => corpus('http3-alt-svc') },
  ];
}
