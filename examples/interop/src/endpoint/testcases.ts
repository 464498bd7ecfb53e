/**
 * @module endpoint/testcases
 * The one table of interop runner test cases this endpoint supports
 * (shared/specs/interop-runner-testcases.md): per `TESTCASE`, the
 * application protocol, the TLS cipher suites to offer, how the client
 * spreads the URLs over connections, and the transport behaviours the QUIC
 * layer must switch on. A name not in the table is unsupported: exit 127.
 */

/** TLS 1.3 cipher suites (RFC 8446 §B.4). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];

export const ALL_CIPHER_SUITES: readonly CipherSuite[] = [0x1301, 0x1302, 0x1303];

/** Application protocols (ALPN): HTTP/0.9 by the runner's convention, or HTTP/3. */
export type Alpn = 'hq-interop' | 'h3';

/**
 * How the client uses connections:
 * - `single`: one connection, all URLs fetched concurrently (one per authority if they differ);
 * - `per-url`: one connection per URL, one after another (multiconnect, handshakeloss, ...);
 * - `first-then-rest`: the first URL on one connection, the rest on a second one, opened after the
 *   first has closed (the shape of resumption and zerortt).
 */
export type ConnectionGrouping = 'single' | 'per-url' | 'first-then-rest';

/**
 * Behaviours the QUIC transport must switch on for a test case; passed
 * through to `connect`/`listen` untouched. The transport decides what each
 * means (for example 'resumption': later connections of the run resume
 * with the ticket of an earlier one).
 */
export type TransportFeature = 'retry' | 'resumption' | 'zero-rtt' | 'key-update' | 'v2' | 'ecn' | 'connection-migration' | 'preferred-address' | 'small-flow-control-windows';

export interface TestCase {
  readonly alpn: Alpn;
  readonly cipherSuites: readonly CipherSuite[];
  readonly connections: ConnectionGrouping;
  readonly features: readonly TransportFeature[];
  /** Known to the runner but not something this endpoint can do: exit 127 with this reason. */
  readonly unsupported?: string;
}

const hq = (over: Partial<TestCase> = {}): TestCase => ({
  alpn: 'hq-interop',
  cipherSuites: ALL_CIPHER_SUITES,
  connections: 'single',
  features: [],
  ...over,
});

/**
 * Supported test cases, by the `TESTCASE` value (the client and the server
 * may receive different names for one runner test: keyupdate's server gets
 * `transfer`). To support another case, add its row here and teach the
 * transport its features, e.g.
 * `retry: hq({ features: ['retry'] })`,
 * `resumption: hq({ connections: 'first-then-rest', features: ['resumption'] })`,
 * `zerortt: hq({ connections: 'first-then-rest', features: ['resumption', 'zero-rtt'] })`,
 * `keyupdate: hq({ features: ['key-update'] })`, `v2: hq({ features: ['v2'] })`.
 */
export const TEST_CASES: Readonly<Record<string, TestCase>> = {
  handshake: hq(),
  transfer: hq(),
  multiconnect: hq({ connections: 'per-url' }),
  // Both sides offer only TLS_CHACHA20_POLY1305_SHA256; the ClientHello must list nothing else.
  chacha20: hq({ cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] }),
  http3: hq({ alpn: 'h3' }),
  // The server sends a Retry; the client comes back with its token (packet numbers continue).
  retry: hq({ features: ['retry'] }),
  // The second connection resumes with the first one's ticket (PSK, no 0-RTT): no Certificate in its handshake.
  resumption: hq({ connections: 'first-then-rest', features: ['resumption'] }),
  // The second connection sends its requests in 0-RTT.
  zerortt: hq({ connections: 'first-then-rest', features: ['resumption', 'zero-rtt'] }),
  // A NAT changes the client's port (or address) during a transfer: the server validates each new path (RFC 9000 §9).
  'rebind-port': hq(),
  'rebind-addr': hq(),
  // The client updates its 1-RTT keys early in the transfer (the server, told 'transfer', answers).
  keyupdate: hq({ features: ['key-update'] }),
  // The client starts in v1 listing v2 in version_information; the server moves the connection to v2 (RFC 9368, RFC 9369).
  v2: hq({ features: ['v2'] }),
  // The server offers a preferred_address (RFC 9000 §9.6; INTEROP_PREFERRED_ADDRESS, else its own interface
  // addresses on PORT+1); the client (told `connectionmigration` too) follows a server's preferred address anyway.
  connectionmigration: hq({ features: ['preferred-address'] }),
  // RFC 9000 §13.4 needs the IP header's ECN field set on send and read on receipt; node:dgram does neither.
  ecn: hq({
    unsupported:
      'ecn: node:dgram can neither mark datagrams ECT(0)/ECT(1) nor read the ECN codepoint of those received, so our packets would go unmarked and our ACKs carry no ECN counts (RFC 9000 §13.4); the transport core supports ECN for a shell that can',
  }),
  // Not a runner test: the client moves to a new local socket 50 ms after the handshake (active migration, RFC 9000 §9.2).
  migrate: hq({ features: ['connection-migration'] }),
};

/** The runner's exit status for "test case not supported". */
export const EXIT_UNSUPPORTED = 127;

/** The row for a `TESTCASE` value, or undefined if unsupported. */
export function lookupTestCase(name: string): TestCase | undefined {
  return Object.hasOwn(TEST_CASES, name) ? TEST_CASES[name] : undefined;
}
