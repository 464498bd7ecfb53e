/**
 * @module test/crypto/x25519-churn
 * A child-process workload for x25519-deadlock.test.ts: many node-provider
 * X25519 key shares under constant garbage collection (run with a tiny young
 * generation), printing `done N` when it finishes. The node:crypto key
 * generation this package used before deadlocked inside such a loop.
 * `pooled`: the same with the provider's key pool, the event loop turning
 * between batches so that pooled (thread-pool generated) keys are used, each
 * completed with a Diffie-Hellman; prints how many shares came from the pool.
 */
import * as nodeCrypto from 'node:crypto';
import { makeNodeCrypto } from '../../src/crypto/make-node.js';
import { NamedGroup } from '../../src/crypto/provider.js';

const rounds = Number(process.argv[2] ?? 60000);
const pooled = process.argv[3] === 'pooled';
const generated = new Set<string>();
// Record every public key the pool's jobs make, to count the shares that came from it.
const generateKeyPair = ((type: string, opts: object, cb: (err: Error | null, pub: { x?: string }, sk: unknown) => void) =>
  (nodeCrypto.generateKeyPair as unknown as (t: string, o: object, c: typeof cb) => void)(type, opts, (err, pub, sk) => {
    if (pub?.x) generated.add(pub.x);
    cb(err, pub, sk);
  })) as unknown as typeof nodeCrypto.generateKeyPair;
const crypto = makeNodeCrypto({ ...nodeCrypto, generateKeyPair }, pooled ? { x25519Pool: 8 } : {});
const peer = makeNodeCrypto(nodeCrypto).keyShare(NamedGroup.x25519);
let junk: string[] = [];
let fromPool = 0;
for (let i = 0; i < rounds; i++) {
  const share = crypto.keyShare(NamedGroup.x25519);
  if (share.publicKey.length !== 32) throw new Error('bad public key');
  junk.push('x'.repeat(i % 100)); // keep the collector busy
  if (junk.length > 1000) junk = [];
  if (!pooled) continue;
  if (generated.has(Buffer.from(share.publicKey).toString('base64url'))) fromPool++;
  const secret = share.complete(peer.publicKey);
  if (!secret || Buffer.compare(secret, peer.complete(share.publicKey)!) !== 0) throw new Error('the two ends disagree');
  if (i % 4 === 3) await new Promise((r) => setImmediate(r));
}
process.stdout.write(pooled ? `done ${rounds} pooled ${fromPool > rounds / 2 ? 'most' : fromPool}\n` : `done ${rounds}\n`);
