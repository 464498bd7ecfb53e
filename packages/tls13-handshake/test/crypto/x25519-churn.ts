/**
 * @module test/crypto/x25519-churn
 * A child-process workload for x25519-deadlock.test.ts: many node-provider
 * X25519 key shares under constant garbage collection (run with a tiny young
 * generation), printing `done N` when it finishes. The node:crypto key
 * generation this package used before deadlocked inside such a loop.
 */
import * as nodeCrypto from 'node:crypto';
import { makeNodeCrypto } from '../../src/crypto/make-node.js';
import { NamedGroup } from '../../src/crypto/provider.js';

const crypto = makeNodeCrypto(nodeCrypto);
const rounds = Number(process.argv[2] ?? 60000);
let junk: string[] = [];
for (let i = 0; i < rounds; i++) {
  const share = crypto.keyShare(NamedGroup.x25519);
  if (share.publicKey.length !== 32) throw new Error('bad public key');
  junk.push('x'.repeat(i % 100)); // keep the collector busy
  if (junk.length > 1000) junk = [];
}
process.stdout.write(`done ${rounds}\n`);
