/**
 * @module scripts/chromium-probe
 * An investigation tool, not part of the package: a bare HTTP/3 endpoint on
 * @tsquic/quic-transport (ALPN h3, a cert-tool certificate) that logs what
 * Chromium sends when a page calls `new WebTransport(url, {
 * serverCertificateHashes })` — the client's transport parameters, its
 * SETTINGS, the CONNECT request's fields, stream headers, capsules and
 * datagrams — and answers just enough to let a session run (echo on streams
 * and datagrams, a server-initiated stream of each kind, a close capsule on
 * request). The findings are in CHROMIUM.md; see there for how to run it.
 *
 * Knobs (environment): PROBE_SETTINGS (JSON [[id, value], …], hex strings
 * allowed), PROBE_HEADERS (JSON [[name, value], …] added to the 200),
 * PROBE_STATUS (default 200), PROBE_DAYS / PROBE_VALIDITY_MS (certificate
 * lifetime), PROBE_KEY (p256 | p384 | ed25519 | rsa2048), PROBE_DATAGRAM
 * (max_datagram_frame_size, default 65536, 0 = off), PROBE_CLOSE_CAPSULE
 * (capsule type the server closes with, default 0x2843), PROBE_PROFILE=1 (the
 * certificate from cert-tool's generateWebTransportCertificate), PROBE_NETLOG (a
 * file: Chromium's --log-net-log), PROBE_KEYLOG (an NSS key log file).
 */
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateSha256, createCa, generateSelfSigned, generateWebTransportCertificate, inspectCertificate, issueCertificate, type KeyType } from '@tsquic/cert-tool';
import { QuicEndpoint, type QuicConnection } from '@tsquic/quic-transport';
import { chromium } from 'playwright-core';
import { StreamByteReader } from '../../../examples/interop/src/byte-reader.js';
import { decodeFieldSection, encodeFieldSection, type FieldLine } from '../../../examples/interop/src/qpack/field-section.js';
import { decodeSettings, encodeFrame, encodeSettings } from '../../../examples/interop/src/h3/frames.js';
import { decodeVarintBig, encodeVarint } from '../../../examples/interop/src/varint.js';

const env = process.env;
const hexOrNum = (v: string | number): bigint => BigInt(v);
const log = (...a: unknown[]): void => console.log('[probe]', ...a);
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
};

const DEFAULT_SETTINGS: Array<[string, string]> = [
  ['0x01', '0'], // QPACK_MAX_TABLE_CAPACITY
  ['0x07', '0'], // QPACK_BLOCKED_STREAMS
  ['0x08', '1'], // ENABLE_CONNECT_PROTOCOL (RFC 9220)
  ['0x33', '1'], // H3_DATAGRAM (RFC 9297)
  ['0x2b603742', '1'], // SETTINGS_ENABLE_WEBTRANSPORT (draft-02)
  ['0xc671706a', '4'], // SETTINGS_WEBTRANSPORT_MAX_SESSIONS (draft-07..)
];
const settings = (JSON.parse(env.PROBE_SETTINGS ?? 'null') ?? DEFAULT_SETTINGS) as Array<[string, string]>;
const extraHeaders = (JSON.parse(env.PROBE_HEADERS ?? '[]') as FieldLine[]);
const status = env.PROBE_STATUS ?? '200';
const closeCapsule = Number(env.PROBE_CLOSE_CAPSULE ?? 0x2843);

const now = Date.now();
const validityMs = env.PROBE_VALIDITY_MS ? Number(env.PROBE_VALIDITY_MS) : Number(env.PROBE_DAYS ?? 10) * 86_400_000;
const notBefore = new Date(now - Number(env.PROBE_NOT_BEFORE_AGO_MS ?? 60_000));
const leafOptions = {
  sans: (env.PROBE_SANS ?? '127.0.0.1,localhost').split(','),
  keyType: (env.PROBE_KEY ?? 'p256') as KeyType,
  notBefore,
  notAfter: new Date(notBefore.getTime() + validityMs),
};
// PROBE_CA=1: a leaf issued by a (untrusted) CA, sent with the CA certificate in the chain.
const ca = env.PROBE_CA ? await createCa({ commonName: 'probe CA' }) : undefined;
// PROBE_PROFILE=1: cert-tool's WebTransport profile exactly as `generateWebTransportCertificate` makes it.
const cert = env.PROBE_PROFILE ? await generateWebTransportCertificate({ sans: ['127.0.0.1'] }) : ca ? await issueCertificate(ca, leafOptions) : await generateSelfSigned(leafOptions);
// PROBE_CERT_FILE + PROBE_KEY_FILE (DER): a certificate made elsewhere (e.g. an X.509 v1 one by openssl).
const given = env.PROBE_CERT_FILE ? { certificate: new Uint8Array(readFileSync(env.PROBE_CERT_FILE)), privateKey: new Uint8Array(readFileSync(env.PROBE_KEY_FILE!)) } : undefined;
const chain = given ? [given.certificate] : ca ? [cert.certificate, ca.certificate as Uint8Array] : [...cert.chain];
const privateKey = given ? given.privateKey : cert.privateKey;
const hash = certificateSha256(chain[0]!, 'hex');
const shown = inspectCertificate(chain[0]!);
log(`certificate v${shown.version} ${shown.keyType}, ${shown.notBefore.toISOString()} .. ${shown.notAfter.toISOString()}, sha-256 ${hash}`);

const server = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0, ...(env.PROBE_KEYLOG ? { keylog: env.PROBE_KEYLOG } : {}) });
server.listen({
  tls: { certificateChain: chain, privateKey, alpn: ['h3'] },
  transport: { maxDatagramFrameSize: Number(env.PROBE_DATAGRAM ?? 65536), idleTimeoutMs: 20_000 },
  onConnection: (c) => void serve(c).catch((e: unknown) => log('connection error', e)),
});
log(`listening on 127.0.0.1:${server.address.port}`);

let t0 = 0;
async function serve(c: QuicConnection): Promise<void> {
  const info = await c.ready;
  t0 = performance.now();
  log(`handshake: alpn ${info.alpn}, cipher ${hex(info.cipherSuite)}, version ${hex(info.version)}`);
  log('client transport parameters:', JSON.stringify(c.remoteTransportParameters, (_k, v) => (typeof v === 'bigint' ? hex(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
  void readBidi(c); // before SETTINGS go out, to see whether the CONNECT waits for them
  const delay = Number(env.PROBE_SETTINGS_DELAY_MS ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const control = await c.createUnidirectionalStream();
  const w = control.getWriter();
  controls.set(c, w);
  void w.write(concat(encodeVarint(0x00), encodeFrame(0x04, encodeSettings(settings.map(([k, v]) => [hexOrNum(k), hexOrNum(v)] as const)))));
  log(`sent SETTINGS at +${Math.round(performance.now() - t0)} ms`, settings.map(([k, v]) => `${k}=${v}`).join(' '));
  void readUni(c);
  void readDatagrams(c);
  c.closed.then(
    (i) => log('connection closed', i),
    (e: unknown) => log('connection closed with error', String(e)),
  );
}

const controls = new Map<QuicConnection, WritableStreamDefaultWriter<Uint8Array>>();

/** draft-ietf-webtrans-http3 §4.3: WebTransport application error n as an HTTP/3 code. */
const toHttp = (n: number): bigint => 0x52e4a40fa8dbn + BigInt(n) + BigInt(Math.floor(n / 0x1e));

async function readUni(c: QuicConnection): Promise<void> {
  for await (const s of c.incomingUnidirectionalStreams) {
    void (async () => {
      const r = new StreamByteReader(s);
      const type = await r.readVarint();
      if (type === 0x00) {
        const ft = await r.readVarint();
        const len = await r.readVarint();
        const payload = await r.readExact(len!);
        const got = decodeSettings(payload);
        log(`control stream: first frame ${hex(ft!)} (${len} bytes):`, [...got].map(([k, v]) => `${hex(k)}=${v}`).join(' '));
        for (;;) {
          const t = await r.readVarint();
          if (t === undefined) break;
          const l = await r.readVarint();
          log(`control stream frame ${hex(t)} (${l} bytes) ${Buffer.from(await r.readExact(l!)).toString('hex')}`);
        }
        return;
      }
      if (type === 0x54) {
        const session = await r.readVarint();
        let body = '';
        try {
          for (let ch = await r.readChunk(65536); ch; ch = await r.readChunk(65536)) body += text(ch);
        } catch (e) {
          return log(`uni stream type 0x54, session ${session}: reset after ${body.length} bytes, code ${hex((e as { code: bigint }).code)}`);
        }
        log(`uni stream type 0x54, session ${session}, ${body.length} bytes: ${JSON.stringify(body.slice(0, 80))}`);
        const back = await c.createUnidirectionalStream();
        const bw = back.getWriter();
        await bw.write(concat(encodeVarint(0x54), encodeVarint(session!), new TextEncoder().encode(`uni-echo:${body}`)));
        await bw.close();
        return;
      }
      let rest = 0;
      for (let ch = await r.readChunk(65536); ch; ch = await r.readChunk(65536)) rest += ch.length;
      log(`uni stream type ${type === undefined ? 'none' : hex(type)}: ${rest} bytes`);
    })().catch((e: unknown) => log('uni stream error', String(e)));
  }
}

async function readBidi(c: QuicConnection): Promise<void> {
  for await (const s of c.incomingBidirectionalStreams) {
    void (async () => {
      const r = new StreamByteReader(s.readable);
      const w = s.writable.getWriter();
      const first = await r.readVarint();
      if (first === 0x41) {
        const session = await r.readVarint();
        log(`bidi stream ${s.id}: signal 0x41, session ${session}`);
        let total = 0;
        const head = await r.readChunk(65536);
        if (head && text(head) === 'please-reset') {
          await w.abort({ code: toHttp(7) });
          await r.cancel({ code: toHttp(8) });
          return log(`bidi stream ${s.id}: RESET_STREAM ${hex(toHttp(7))} (WT 7) and STOP_SENDING ${hex(toHttp(8))} (WT 8)`);
        }
        if (head && text(head).startsWith('please-')) return closeSession(session!, text(head).slice(7));
        if (head) {
          total += head.length;
          await w.write(head);
        }
        for (let ch = await r.readChunk(65536); ch; ch = await r.readChunk(65536)) {
          total += ch.length;
          if (text(ch).startsWith('please-')) return closeSession(session!, text(ch).slice(7));
          await w.write(ch);
        }
        log(`bidi stream ${s.id}: ${total} bytes echoed, FIN`);
        await w.close();
        return;
      }
      if (first !== 0x01) return log(`bidi stream ${s.id}: first frame type ${first === undefined ? 'none' : hex(first)}`);
      const len = await r.readVarint();
      const fields = decodeFieldSection(await r.readExact(len!), { maxFieldSectionSize: 65536 });
      log(`bidi stream ${s.id} at +${Math.round(performance.now() - t0)} ms: HEADERS`, JSON.stringify(fields));
      const response: FieldLine[] = [[':status', status], ...extraHeaders];
      await w.write(encodeFrame(0x01, encodeFieldSection(response)));
      log(`bidi stream ${s.id}: answered`, JSON.stringify(response));
      sessions.set(s.id, { w, c });
      if (status === '200') void openServerStreams(c, s.id);
      // After the response the stream carries HTTP/3 frames; the DATA frames' payloads are the capsule stream (RFC 9297 §3.1).
      let capsules: Uint8Array = new Uint8Array(0);
      for (;;) {
        const t = await r.readVarint();
        if (t === undefined) return log(`CONNECT stream ${s.id}: FIN from the client`);
        const l = await r.readVarint();
        const payload = await r.readExact(l!);
        if (t !== 0x00) {
          log(`CONNECT stream ${s.id}: frame ${hex(t)} (${l} bytes)`);
          continue;
        }
        capsules = concat(capsules, payload);
        for (;;) {
          const c = parseCapsule(capsules);
          if (!c) break;
          capsules = capsules.subarray(c.next);
          log(`CONNECT stream ${s.id}: capsule ${hex(c.type)} (${c.value.length} bytes) ${Buffer.from(c.value.subarray(0, 32)).toString('hex')} ${JSON.stringify(text(c.value.subarray(4, 80)))}`);
        }
      }
    })().catch((e: unknown) => log(`bidi stream ${s.id} error`, String(e)));
  }
}

const sessions = new Map<number, { w: WritableStreamDefaultWriter<Uint8Array>; c: QuicConnection }>();

async function openServerStreams(c: QuicConnection, session: number): Promise<void> {
  const uni = (await c.createUnidirectionalStream()).getWriter();
  await uni.write(concat(encodeVarint(0x54), encodeVarint(session), new TextEncoder().encode('server-uni')));
  await uni.close();
  const bidi = await c.createBidirectionalStream();
  const bw = bidi.writable.getWriter();
  await bw.write(concat(encodeVarint(0x41), encodeVarint(session), new TextEncoder().encode('server-bidi')));
  await bw.close();
  log(`opened server streams uni and bidi ${bidi.id} for session ${session}`);
}

function parseCapsule(b: Uint8Array): { type: bigint; value: Uint8Array; next: number } | undefined {
  const t = decodeVarintBig(b, 0);
  const l = t && decodeVarintBig(b, t.next);
  if (!t || !l || b.length < l.next + Number(l.value)) return undefined;
  return { type: t.value, value: b.subarray(l.next, l.next + Number(l.value)), next: l.next + Number(l.value) };
}

/** A capsule inside a DATA frame (RFC 9297 §3.2: capsules travel in the DATA frames of the request stream). */
function dataCapsule(type: number, payload: Uint8Array): Uint8Array {
  const capsule = concat(encodeVarint(type), encodeVarint(payload.length), payload);
  return encodeFrame(0x00, capsule);
}

async function closeSession(session: number, how: string): Promise<void> {
  const s = sessions.get(session);
  if (!s) return;
  if (how === 'drain') {
    await s.w.write(dataCapsule(0x78ae, new Uint8Array(0)));
    log(`session ${session}: sent DRAIN capsule 0x78ae`);
    return;
  }
  if (how === 'fin') {
    await s.w.close();
    return log(`session ${session}: FIN without capsule`);
  }
  if (how === 'reset') {
    await s.w.abort({ code: 0x10cn });
    return log(`session ${session}: RESET_STREAM H3_REQUEST_CANCELLED on the CONNECT stream`);
  }
  if (how === 'goaway') {
    await controls.get(s.c)!.write(encodeFrame(0x07, encodeVarint(session + 4)));
    return log(`session ${session}: GOAWAY ${session + 4} on the control stream`);
  }
  const reason = new TextEncoder().encode('probe says bye');
  const payload = concat(new Uint8Array([0, 0, 0x10, 0x92]), reason); // code 4242
  await s.w.write(dataCapsule(closeCapsule, payload));
  await s.w.close();
  log(`session ${session}: sent capsule ${hex(closeCapsule)} code 4242 and FIN`);
}

async function readDatagrams(c: QuicConnection): Promise<void> {
  const w = c.datagrams.writable.getWriter();
  for await (const d of c.datagrams.readable) {
    const q = d[0]! >> 6 === 0 ? d[0]! : -1;
    log(`datagram ${d.length} bytes: first byte ${hex(d[0]!)} (quarter stream id ${q}) payload ${JSON.stringify(text(d.subarray(1)))}`);
    await w.write(d);
  }
}

// The page: a secure context (http://127.0.0.1 is potentially trustworthy).
const page = `<!doctype html><meta charset="utf-8"><title>probe</title><script>
window.runProbe = async (url, hashHex, path, how) => {
  const out = [];
  const value = new Uint8Array(hashHex.match(/../g).map((h) => parseInt(h, 16)));
  const say = (m) => out.push(m);
  let wt;
  try {
    wt = new WebTransport(url + path, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
    say('api: ' + JSON.stringify({ datagramsWritable: 'writable' in wt.datagrams, createWritable: typeof wt.datagrams.createWritable, draining: 'draining' in wt, protocol: 'protocol' in wt, reliability: wt.reliability, congestionControl: wt.congestionControl, maxDatagramSize: wt.datagrams.maxDatagramSize }));
    wt.closed.then((i) => say('closed: ' + JSON.stringify(i)), (e) => say('closed rejected: ' + e.name + ' ' + e.message + ' ' + JSON.stringify({ source: e.source, streamErrorCode: e.streamErrorCode })));
    if (wt.draining) wt.draining.then(() => say('draining'));
    await wt.ready;
    say('ready; protocol=' + wt.protocol + ' reliability=' + wt.reliability + ' maxDatagramSize=' + wt.datagrams.maxDatagramSize);
    const bidi = await wt.createBidirectionalStream();
    const bw = bidi.writable.getWriter();
    await bw.write(new TextEncoder().encode('hello bidi'));
    await bw.close();
    let echoed = '';
    for await (const ch of bidi.readable) echoed += new TextDecoder().decode(ch);
    say('bidi echo: ' + echoed);
    const uni = await wt.createUnidirectionalStream();
    const uw = uni.getWriter();
    await uw.write(new TextEncoder().encode('hello uni'));
    await uw.close();
    const unis = wt.incomingUnidirectionalStreams.getReader();
    for (let i = 0; i < 2; i++) {
      const { value: s } = await unis.read();
      let t = '';
      for await (const ch of s) t += new TextDecoder().decode(ch);
      say('incoming uni: ' + t);
    }
    const bidis = wt.incomingBidirectionalStreams.getReader();
    const { value: sb } = await bidis.read();
    let tb = '';
    for await (const ch of sb.readable) tb += new TextDecoder().decode(ch);
    say('incoming bidi: ' + tb);
    const dw = (wt.datagrams.writable || wt.datagrams.createWritable()).getWriter();
    const dr = wt.datagrams.readable.getReader();
    await dw.write(new TextEncoder().encode('hello datagram'));
    const d = await Promise.race([dr.read(), new Promise((r) => setTimeout(() => r({ value: null }), 3000))]);
    say('datagram echo: ' + (d.value ? new TextDecoder().decode(d.value) : 'none in 3 s'));
    const ab = await wt.createUnidirectionalStream();
    const aw = ab.getWriter();
    await aw.write(new TextEncoder().encode('to be reset'));
    await aw.abort(new WebTransportError({ message: 'page abort', streamErrorCode: 9 }));
    const rs = await wt.createBidirectionalStream();
    const rw = rs.writable.getWriter();
    await rw.write(new TextEncoder().encode('please-reset'));
    try {
      for await (const ch of rs.readable) say('reset stream data?');
      say('reset stream: readable ended cleanly');
    } catch (e) {
      say('reset stream readable: ' + e.name + ' streamErrorCode=' + e.streamErrorCode + ' source=' + e.source);
    }
    try {
      for (let i = 0; i < 20; i++) { await rw.write(new Uint8Array(1000)); await new Promise((r) => setTimeout(r, 20)); }
      say('reset stream: writes went on');
    } catch (e) {
      say('reset stream writable: ' + e.name + ' streamErrorCode=' + e.streamErrorCode + ' source=' + e.source);
    }
    const closer = await wt.createBidirectionalStream();
    const cw = closer.writable.getWriter();
    await cw.write(new TextEncoder().encode('please-' + how));
    if (how === 'drain' || how === 'goaway') {
      await new Promise((r) => setTimeout(r, 500));
      const after = await wt.createBidirectionalStream();
      const aw2 = after.writable.getWriter();
      await aw2.write(new TextEncoder().encode('after ' + how));
      await aw2.close();
      let e2 = '';
      for await (const ch of after.readable) e2 += new TextDecoder().decode(ch);
      say('after ' + how + ': echo ' + e2);
      wt.close({ closeCode: 77, reason: 'page closes' });
    }
    await Promise.race([wt.closed.catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
  } catch (e) {
    say('error: ' + e.name + ': ' + e.message + ' ' + JSON.stringify({ source: e.source, streamErrorCode: e.streamErrorCode }));
  }
  await new Promise((r) => setTimeout(r, 200));
  return out;
};
</script>`;
const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
const sitePort = (site.address() as { port: number }).port;

const profile = mkdtempSync(join(tmpdir(), 'wt-probe-'));
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
if (env.PROBE_NETLOG) args.push(`--log-net-log=${env.PROBE_NETLOG}`, '--net-log-capture-mode=Everything');
if (env.PROBE_CHROME_KEYLOG) args.push(`--ssl-key-log-file=${env.PROBE_CHROME_KEYLOG}`);
const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args });
try {
  const p = await context.newPage();
  p.on('console', (m) => log('page console:', m.text()));
  await p.goto(`http://127.0.0.1:${sitePort}/`);
  const result = await p.evaluate(([u, h, path, how]) => (window as unknown as { runProbe(u: string, h: string, p: string, how: string): Promise<string[]> }).runProbe(u, h, path, how), [
    `https://127.0.0.1:${server.address.port}`,
    hash,
    env.PROBE_PATH ?? '/probe?x=1',
    env.PROBE_CLOSE_HOW ?? 'close',
  ] as const);
  for (const line of result) log('page:', line);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  site.close();
  await server.close({ timeoutMs: 200 });
}
