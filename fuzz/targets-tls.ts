/**
 * @module fuzz/targets-tls
 * Fuzz targets for the work bounds of issue 15 (registered in targets.ts):
 * certificate path building (RFC 5280 §6 as bounded by ChainLimits) and the
 * record layer of an open connection under a peer's forged records (RFC 8446
 * §5, §4.6.3). Both run with small budgets and check them on every input: a
 * chain may not cost more signature checks than its budget, a record stream
 * may not make the victim answer a KeyUpdate it never wrote data after, and
 * no input may take longer than SLOW_MS — so a regression in a work bound
 * shows up as a crash (a slow or over-budget input), not as a slow campaign.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tls from '../packages/tls13-handshake/src/index.js';
import { ContentType, recordHeader, recordNonce, RecordSuites, recordTrafficKeys } from '../packages/tls13-handshake/src/record/index.js';
import { layerPair } from '../packages/tls13-handshake/test/record/layer-pair.js';
import type { Target } from './engine.js';

/** Wall-clock bound per input (generous: the machine is shared; a lost bound costs seconds). */
const SLOW_MS = 250;

class Violation extends Error {
  override name = 'Violation';
}

const hostileDir = fileURLToPath(new URL('../packages/tls13-handshake/test/fixtures/hostile/', import.meta.url));
const pkiDir = fileURLToPath(new URL('../packages/tls13-handshake/test/fixtures/pki/', import.meta.url));
const der = (dir: string, name: string) => new Uint8Array(readFileSync(`${dir}${name}.der`));

/** A chain input: [u16 length ‖ DER]… */
function encodeChain(chain: Uint8Array[]): Uint8Array {
  return Uint8Array.from(chain.flatMap((c) => [c.length >> 8, c.length & 0xff, ...c]));
}
function decodeChain(d: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off + 2 <= d.length && out.length < 16;) {
    const n = (d[off]! << 8) | d[off + 1]!;
    out.push(d.subarray(off + 2, Math.min(d.length, off + 2 + n)));
    off += 2 + n;
  }
  return out;
}

const LIMITS: Partial<tls.ChainLimits> = { maxSignatureChecks: 8, maxPathSteps: 64, maxNameComparisons: 2000 };
const NAMES = ['server.test', 'www.allowed.test', 'bad.example.com', '127.0.0.1', 'a.wild.test'];

const chainTarget: Target = {
  name: 'tls13-handshake/chain',
  cover: ['/packages/tls13-handshake/src/certificates/', '/packages/tls13-handshake/src/crypto/der.ts'],
  seeds: () => {
    const names = readdirSync(hostileDir)
      .filter((f) => f.endsWith('.der') && !f.endsWith('.key.der'))
      .map((f) => f.slice(0, -4));
    const group = (prefix: string) =>
      names
        .filter((n) => n.startsWith(prefix))
        .sort()
        .reverse()
        .map((n) => der(hostileDir, n));
    const pki = (...n: string[]) => n.map((x) => der(pkiDir, x));
    return [
      group('loop'),
      group('maze'),
      group('nc'),
      group('wild'),
      [der(hostileDir, 'weak-inter-leaf'), der(hostileDir, 'weak-inter')],
      pki('leaf', 'inter'),
      pki('leaf-nc-ok', 'inter-nc'),
      pki('leaf-too-deep', 'inter-deep', 'inter'),
      pki('leaf-by-rsa-pss'),
    ].map((chain, i) => Uint8Array.from([i, ...encodeChain(chain)]));
  },
  // byte 0: reference name and purpose; then the chain as [u16 length ‖ DER]…, verified against two anchors
  run(d) {
    if (d.length < 3) return;
    let checks = 0;
    const crypto: tls.HandshakeCrypto = { ...tls.defaultCrypto(), verifySignature: (...a) => (checks++, tls.defaultCrypto().verifySignature(...a)) };
    const t0 = performance.now();
    try {
      tls.verifyChain(decodeChain(d.subarray(1)), {
        trustAnchors: anchors(),
        nowMs: Date.UTC(2030, 0, 1),
        purpose: d[0]! & 0x80 ? 'clientAuth' : 'serverAuth',
        crypto,
        limits: LIMITS,
        ...(d[0]! & 0x40 ? {} : { serverName: NAMES[d[0]! % NAMES.length]! }),
      });
    } catch (e) {
      if (!tls.TlsAlertError.isInstance(e)) throw e;
    }
    const ms = performance.now() - t0;
    if (checks > LIMITS.maxSignatureChecks!) throw new Violation(`${checks} signature checks, budget ${LIMITS.maxSignatureChecks}`);
    if (ms > SLOW_MS) throw new Violation(`slow input: ${ms.toFixed(0)} ms for one chain`);
  },
  expected: () => false,
  maxLength: 12 * 1024,
};

let store: tls.TrustStore | undefined;
/** One store for the campaign (its parse cache is bounded), as a server shares one. */
function anchors(): tls.TrustStore {
  store ??= new tls.TrustStore([der(pkiDir, 'root-a'), der(hostileDir, 'anchor'), der(hostileDir, 'nc-ca')]);
  return store;
}

/** Seal TLSInnerPlaintexts as `from` under its application keys, following its own KeyUpdates. */
function forger(secret: Uint8Array, suite: 0x1301 | 0x1302 | 0x1303) {
  const crypto = tls.defaultCrypto();
  let s = secret;
  let seq = 0;
  return (inner: Uint8Array): Uint8Array => {
    const { key, iv } = recordTrafficKeys(crypto, suite, s);
    const header = recordHeader(ContentType.application_data, inner.length + 16);
    const rec = Uint8Array.from([...header, ...crypto.aead(RecordSuites[suite].aead, key).seal(recordNonce(iv, seq++), header, inner)]);
    // a KeyUpdate we sealed changes our key for what follows (RFC 8446 §4.6.3)
    if (inner[inner.length - 1] === ContentType.handshake && inner[0] === 24 && inner.length === 6) {
      s = tls.nextTrafficSecret(crypto, suite, s);
      seq = 0;
    }
    return rec;
  };
}

const recordsOpen: Target = {
  name: 'tls13-handshake/records-open',
  cover: ['/packages/tls13-handshake/src/record/', '/packages/tls13-handshake/src/machine.ts'],
  seeds: () => {
    const item = (type: number, body: number[]) => [(body.length + 1) >> 8, (body.length + 1) & 0xff, ...body, type];
    const ku = (v: number) => [24, 0, 0, 1, v];
    return [
      [0, ...item(23, [104, 105])],
      [0, ...Array.from({ length: 40 }, () => item(22, ku(1))).flat()],
      [1, ...item(22, [...ku(0), ...ku(0)])],
      [0, ...item(22, ku(1)), ...item(23, [1]), ...item(22, ku(1))],
      [1, ...item(20, [1]), ...item(21, [1, 0])],
      [0, ...item(21, [2, 10, 0])],
      [0, 0, 0],
    ].map((x) => Uint8Array.from(x));
  },
  // byte 0: the side that forges (bit 0); then items [u16 length ‖ TLSInnerPlaintext]… sealed as that side
  run(d) {
    if (d.length < 1) return;
    const from = d[0]! & 1 ? 'server' : 'client';
    const p = layerPair();
    p.pump();
    const peer = from === 'client' ? p.client : p.server;
    const victim = from === 'client' ? p.server : p.client;
    const seal = forger(peer.appWriteSecrets[peer.appWriteSecrets.length - 1]!, peer.suite!);
    const t0 = performance.now();
    for (let off = 1; off + 2 <= d.length && victim.layer.state !== 'failed';) {
      const n = (d[off]! << 8) | d[off + 1]!;
      const inner = d.subarray(off + 2, Math.min(d.length, off + 2 + n));
      off += 2 + n;
      if (inner.length > 16385) continue;
      p.inject(from, seal(inner));
      p.pump();
    }
    const ms = performance.now() - t0;
    for (const e of victim.events) if (e.type === 'alert' && e.sent && e.description === 80) throw new Violation('record layer sent internal_error');
    const updates = victim.events.filter((e) => e.type === 'key-update').length;
    if (updates > 33 * (1 + victim.appData.length)) throw new Violation(`${updates} KeyUpdates accepted for ${victim.appData.length} data records`);
    // the victim never wrote: it owes at most one KeyUpdate and has sent none (RFC 8446 §4.6.3 coalescing)
    if (victim.appWriteSecrets.length !== 1) throw new Violation(`the victim updated its write key ${victim.appWriteSecrets.length - 1} times without writing`);
    if (ms > SLOW_MS) throw new Violation(`slow input: ${ms.toFixed(0)} ms`);
  },
  expected: () => false,
  maxLength: 8192,
};

export const TLS_TARGETS: Target[] = [chainTarget, recordsOpen];
