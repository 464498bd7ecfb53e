/**
 * @module core/quic-lb
 * QUIC-LB connection IDs (draft-ietf-quic-load-balancers): a server writes
 * its server ID into every connection ID it issues so that a QUIC-LB load
 * balancer in front of several machines routes each packet by its
 * Destination Connection ID alone — through migration and NAT rebinding.
 *
 * - §3 first octet: three config rotation bits (§3.1; 0b111 marks an
 *   unroutable CID, §3.2) and five bits of length self-description (§3.3)
 *   or random bits;
 * - §5.2 CID format: first octet ‖ server ID ‖ nonce;
 * - §5.4 without a key the server ID is in plaintext; with a 16-byte key the
 *   server ID and nonce are encrypted: one AES-128-ECB pass when they sum to
 *   16 bytes (§5.4.1), otherwise a four-pass Feistel network with AES-ECB as
 *   its round function (§5.4.2), whose halves share a nibble when the length
 *   is odd; the load balancer decodes with §5.5.
 *
 * Workers: a machine running one endpoint per core asks the configuration
 * agent for 2^k consecutive server IDs (§5.1 lets a server express how many
 * it can use; §8.1 load-balancer chains). The load balancer maps all of them
 * to the machine; worker w encodes `workerServerId(base, w, k)` — the base
 * with w in its k low bits — and the machine's own demultiplexer decodes the
 * same CID and reads the worker back with `workerOf(serverId, k)`.
 *
 * Pure and browser-safe: no clock; randomness is passed in; the cipher
 * (AES-128 from quic-crypto-keys by default) can be replaced (§5.4 asks for
 * extensibility). It depends on nothing else in the core.
 */
import { aesBlockCipher, type BlockCipher } from '@tsquic/quic-crypto-keys';

/** §3.2: the config rotation codepoint of connection IDs no load balancer can decode. */
export const QUIC_LB_UNROUTABLE = 0b111;
/** §5.3: QUIC v1 connection IDs are at most 20 bytes, one of them the first octet. */
const MAX_PLAINTEXT = 19;

/** One QUIC-LB configuration (draft-ietf-quic-load-balancers §3, §5): how server IDs are encoded into connection IDs. */
export interface QuicLbConfig {
  /** Config rotation codepoint, 0–6 (§3.1); 7 is reserved for unroutable CIDs (§3.2). */
  readonly configId: number;
  /** Server ID length in bytes, at least 1 (§5.3). */
  readonly serverIdLength: number;
  /** Nonce length in bytes, at least 4; with the server ID at most 19 (§5.3). */
  readonly nonceLength: number;
  /** 16 bytes: encrypt the server ID and nonce (§5.4.1, §5.4.2); without it they are in plaintext. */
  readonly key?: Uint8Array;
  /** Write the CID's length after the first octet in its five low bits (§3.3); default true. Otherwise they are random. */
  readonly encodeLength?: boolean;
  /** Another block cipher for the same two algorithms (default AES-128-ECB under `key`). */
  readonly cipher?: BlockCipher;
}

/** How a configuration encodes (§5.4): in plaintext, one AES pass (server ID + nonce = 16 bytes) or the four-pass Feistel network. */
export type QuicLbMode = 'plaintext' | 'single-pass' | 'four-pass';

/** What a connection ID decodes to under its configuration (§5.5). */
export interface QuicLbPlaintext {
  serverId: Uint8Array;
  nonce: Uint8Array;
}

/** A caller's mistake in a configuration or an argument: RangeError naming the draft's rule. */
function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`QUIC-LB: ${message}`);
}

function checkConfig(c: QuicLbConfig): void {
  check(Number.isInteger(c.configId) && c.configId >= 0 && c.configId < QUIC_LB_UNROUTABLE, `config rotation must be 0–6 (0b111 is reserved, §3.1), got ${c.configId}`);
  check(Number.isInteger(c.serverIdLength) && c.serverIdLength >= 1, `server ID length must be at least 1 byte (§5.3), got ${c.serverIdLength}`);
  check(Number.isInteger(c.nonceLength) && c.nonceLength >= 4, `nonce length must be at least 4 bytes (§5.3), got ${c.nonceLength}`);
  check(c.serverIdLength + c.nonceLength <= MAX_PLAINTEXT, `server ID and nonce must sum to 19 bytes or less (§5.3), got ${c.serverIdLength + c.nonceLength}`);
  if (c.key !== undefined) check(c.key.length === 16, `the key must be 16 bytes (§5.3), got ${c.key.length}`);
  if (c.cipher !== undefined) check(c.key !== undefined, 'a cipher needs the configuration to have a key');
}

/**
 * One QUIC-LB configuration, prepared: encodes a server ID and nonce into a
 * connection ID and decodes connection IDs of this configuration.
 */
export class QuicLbCodec {
  readonly configId: number;
  readonly serverIdLength: number;
  readonly nonceLength: number;
  readonly mode: QuicLbMode;
  /** Length of the connection IDs of this configuration, first octet included. */
  readonly cidLength: number;
  private readonly encodeLength: boolean;
  private readonly cipher: BlockCipher | undefined;
  /** Plaintext length (server ID + nonce) and the Feistel half length, rounded up (§5.4.2.2). */
  private readonly n: number;
  private readonly half: number;
  private readonly odd: boolean;

  constructor(config: QuicLbConfig) {
    checkConfig(config);
    this.configId = config.configId;
    this.serverIdLength = config.serverIdLength;
    this.nonceLength = config.nonceLength;
    this.n = config.serverIdLength + config.nonceLength;
    this.cidLength = 1 + this.n;
    this.half = Math.ceil(this.n / 2);
    this.odd = this.n % 2 === 1;
    this.encodeLength = config.encodeLength ?? true;
    this.cipher = config.key ? (config.cipher ?? aesBlockCipher(config.key)) : undefined;
    this.mode = !this.cipher ? 'plaintext' : this.n === 16 ? 'single-pass' : 'four-pass';
  }

  /**
   * The connection ID for `serverId` and `nonce` (§5.4). `randomBits` fills
   * the first octet's five low bits when the length is not encoded there.
   */
  encode(serverId: Uint8Array, nonce: Uint8Array, randomBits = 0): Uint8Array {
    check(serverId.length === this.serverIdLength, `server ID must be ${this.serverIdLength} bytes, got ${serverId.length}`);
    check(nonce.length === this.nonceLength, `nonce must be ${this.nonceLength} bytes, got ${nonce.length}`);
    const cid = new Uint8Array(this.cidLength);
    cid[0] = (this.configId << 5) | (this.encodeLength ? this.n : randomBits & 0x1f);
    cid.set(serverId, 1);
    cid.set(nonce, 1 + this.serverIdLength);
    if (this.mode === 'single-pass') cid.set(this.cipher!.encryptBlock(cid.subarray(1)), 1);
    else if (this.mode === 'four-pass') cid.set(this.feistel(cid.subarray(1), [1, 2, 3, 4]), 1);
    return cid;
  }

  /** The server ID in `cid` (a Destination Connection ID, or a datagram's bytes from it on), or null when it is not of this configuration. */
  serverId(cid: Uint8Array): Uint8Array | null {
    if (!this.mine(cid)) return null;
    const body = cid.subarray(1, this.cidLength);
    if (this.mode === 'plaintext') return body.slice(0, this.serverIdLength);
    if (this.mode === 'single-pass') return this.cipher!.decryptBlock(body).subarray(0, this.serverIdLength);
    // §5.5.2: three passes suffice when the server ID lies within left_0 (it is no longer than the nonce).
    if (this.serverIdLength <= this.nonceLength) return this.feistel(body, [4, 3, 2]).subarray(0, this.serverIdLength);
    return this.feistel(body, [4, 3, 2, 1]).subarray(0, this.serverIdLength);
  }

  /** Server ID and nonce of `cid`, or null when it is not of this configuration. */
  decode(cid: Uint8Array): QuicLbPlaintext | null {
    if (!this.mine(cid)) return null;
    const body = cid.subarray(1, this.cidLength);
    const plain = this.mode === 'plaintext' ? body.slice() : this.mode === 'single-pass' ? this.cipher!.decryptBlock(body) : this.feistel(body, [4, 3, 2, 1]);
    return { serverId: plain.subarray(0, this.serverIdLength), nonce: plain.subarray(this.serverIdLength) };
  }

  /** §5.5: long enough, and the config rotation bits name this configuration. */
  private mine(cid: Uint8Array): boolean {
    return cid.length >= this.cidLength && cid[0]! >> 5 === this.configId;
  }

  /**
   * §5.4.2.3 (encryption, passes 1–4) and §5.5.2 (decryption, passes 4–1):
   * odd passes XOR into the right half, even passes into the left; the
   * round function is AES-ECB of expand(n, pass, other half), truncated.
   * Three decryption passes leave the left half (and the server ID) whole.
   */
  private feistel(input: Uint8Array, passes: readonly number[]): Uint8Array {
    const { n, half } = this;
    const left = input.slice(0, half);
    const right = input.slice(n - half, n);
    this.clear(left, right);
    for (const pass of passes) {
      const [target, source] = pass % 2 === 1 ? [right, left] : [left, right];
      const round = this.cipher!.encryptBlock(expand(n, pass, source));
      for (let i = 0; i < half; i++) target[i]! ^= round[i]!;
      this.clear(left, right);
    }
    // §5.4.2.3 step 12: with an odd length the halves' shared nibbles are zero; OR joins them.
    const out = new Uint8Array(n);
    out.set(right, n - half);
    for (let i = 0; i < half; i++) out[i]! |= left[i]!;
    return out;
  }

  /** With an odd length, left halves end and right halves start with four zero bits (§5.4.2.3 steps 2, 5, 7, 9, 11). */
  private clear(left: Uint8Array, right: Uint8Array): void {
    if (!this.odd) return;
    left[this.half - 1]! &= 0xf0;
    right[0]! &= 0x0f;
  }
}

/**
 * §5.4.2.2 expand(length, pass, input_bytes): the input half, zero padding,
 * then the plaintext length and the pass number in the last two octets.
 * @internal
 */
export function expand(length: number, pass: number, input: Uint8Array): Uint8Array {
  const block = new Uint8Array(16);
  block.set(input);
  block[14] = length;
  block[15] = pass;
  return block;
}

/**
 * Connection IDs for one server ID under one configuration, with nonces as
 * §8.4 asks: random in plaintext mode (no relation to earlier ones), a
 * counter from a random start when encrypted (unique until it comes back to
 * its start; then `next()` returns null and the server must switch to
 * another configuration or issue `unroutableCid`s).
 */
export class QuicLbCidGenerator {
  private readonly counter: Uint8Array | undefined;
  private readonly start: Uint8Array | undefined;
  private exhausted = false;

  constructor(
    readonly codec: QuicLbCodec,
    readonly serverIdValue: Uint8Array,
    private readonly random: (n: number) => Uint8Array,
  ) {
    check(serverIdValue.length === codec.serverIdLength, `server ID must be ${codec.serverIdLength} bytes, got ${serverIdValue.length}`);
    if (codec.mode !== 'plaintext') {
      this.counter = random(codec.nonceLength).slice();
      this.start = this.counter.slice();
    }
  }

  /** A new connection ID, or null once the encrypted nonce space is used up. */
  next(): Uint8Array | null {
    if (this.exhausted) return null;
    const bits = this.random(1)[0]!;
    if (!this.counter) return this.codec.encode(this.serverIdValue, this.random(this.codec.nonceLength), bits);
    const cid = this.codec.encode(this.serverIdValue, this.counter, bits);
    increment(this.counter);
    this.exhausted = equalBytes(this.counter, this.start!);
    return cid;
  }
}

function increment(b: Uint8Array): void {
  for (let i = b.length - 1; i >= 0; i--) if (++b[i]! <= 0xff) return;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * §3.2: a connection ID for a server with no active configuration: config
 * rotation 0b111, the length after the first octet in its low five bits,
 * random bytes after it (at least 8 bytes in all, §3.2's SHOULD).
 */
export function unroutableCid(length: number, random: (n: number) => Uint8Array): Uint8Array {
  check(Number.isInteger(length) && length >= 8 && length <= 20, `an unroutable CID should be 8–20 bytes (§3.2), got ${length}`);
  const cid = new Uint8Array(length);
  cid.set(random(length - 1), 1);
  cid[0] = (QUIC_LB_UNROUTABLE << 5) | (length - 1);
  return cid;
}

/** The config rotation bits of a connection ID (§3.1): which configuration to decode it with; 7 = unroutable. */
export function configRotation(cid: Uint8Array): number {
  check(cid.length > 0, 'a zero-length connection ID has no first octet');
  return cid[0]! >> 5;
}

function checkWorker(worker: number, workerBits: number): void {
  check(Number.isInteger(workerBits) && workerBits >= 0 && workerBits <= 16, `worker bits must be 0–16, got ${workerBits}`);
  check(Number.isInteger(worker) && worker >= 0 && worker < 2 ** workerBits, `worker ${worker} does not fit in ${workerBits} bits`);
}

/** The low `workerBits` bits of a server ID, as a number (big-endian, §5.2 byte order). */
function lowBits(serverId: Uint8Array, workerBits: number): number {
  check(serverId.length * 8 >= workerBits, `a ${serverId.length}-byte server ID cannot carry ${workerBits} worker bits`);
  const n = serverId.length;
  const value = ((n >= 2 ? serverId[n - 2]! : 0) << 8) | serverId[n - 1]!;
  return value & (2 ** workerBits - 1);
}

/**
 * Worker `worker`'s server ID: `base` (the first of the 2^workerBits
 * consecutive server IDs given to this machine, its low bits zero) with the
 * worker number in its `workerBits` low bits.
 */
export function workerServerId(base: Uint8Array, worker: number, workerBits: number): Uint8Array {
  checkWorker(worker, workerBits);
  check(lowBits(base, workerBits) === 0, `the base server ID's ${workerBits} low bits must be zero`);
  const out = base.slice();
  const n = out.length;
  out[n - 1]! |= worker & 0xff;
  if (workerBits > 8) out[n - 2]! |= worker >> 8;
  return out;
}

/** The worker a server ID belongs to (its `workerBits` low bits); the inverse of `workerServerId`. */
export function workerOf(serverId: Uint8Array, workerBits: number): number {
  checkWorker(0, workerBits);
  return lowBits(serverId, workerBits);
}
