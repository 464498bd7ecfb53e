import { describe, expect, it, vi } from 'vitest';
import { decodeTransportParameters, encodeTransportParameters, isReservedTransportParameterId, QuicWireError, Reader, TransportErrorCode, Writer, type TransportParameters } from '../src/index.js';
import { hex, toHex } from './hex.js';

const FULL_SERVER: TransportParameters = {
  originalDestinationConnectionId: hex('8394c8f03e515708'),
  maxIdleTimeout: 30000,
  statelessResetToken: new Uint8Array(16).fill(9),
  maxUdpPayloadSize: 1472,
  initialMaxData: 1 << 24,
  initialMaxStreamDataBidiLocal: 1 << 20,
  initialMaxStreamDataBidiRemote: 1 << 20,
  initialMaxStreamDataUni: 1 << 18,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 3,
  ackDelayExponent: 8,
  maxAckDelay: 20,
  disableActiveMigration: true,
  preferredAddress: {
    ipv4Address: hex('7f000001'),
    ipv4Port: 4433,
    ipv6Address: hex('00000000000000000000000000000001'),
    ipv6Port: 4434,
    connectionId: hex('0102030405'),
    statelessResetToken: new Uint8Array(16).fill(5),
  },
  activeConnectionIdLimit: 4,
  initialSourceConnectionId: hex('f067a5502a4262b5'),
  retrySourceConnectionId: hex('aabbcc'),
  versionInformation: { chosenVersion: 1, availableVersions: [1, 0x6b3343cf] },
  maxDatagramFrameSize: 65535,
  minAckDelay: 1000,
  unknown: [{ id: 27n + 31n * 1000n, value: hex('cafe') }],
};

const param = (id: string, value: string) => id + (value.length / 2).toString(16).padStart(2, '0') + value;

function codeOf(bytes: Uint8Array, sender: 'client' | 'server' = 'server'): number | undefined {
  try {
    decodeTransportParameters(bytes, sender);
  } catch (e) {
    if (QuicWireError.isInstance(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('transport parameters (RFC 9000 §18)', () => {
  it('every defined parameter round-trips, unknown ones preserved', () => {
    const bytes = encodeTransportParameters(FULL_SERVER);
    expect(decodeTransportParameters(bytes, 'server')).toEqual(FULL_SERVER);
    expect(toHex(encodeTransportParameters(decodeTransportParameters(bytes, 'server')))).toBe(toHex(bytes));
  });

  it('min_ack_delay (draft-ietf-quic-ack-frequency §3): id 0xff04de1b, microseconds, up to max_ack_delay', () => {
    expect(toHex(encodeTransportParameters({ minAckDelay: 1000 }))).toBe('c0000000ff04de1b' + '02' + '43e8');
    expect(decodeTransportParameters(hex(param('c0000000ff04de1b', '800061a8')), 'client')).toEqual({ minAckDelay: 25_000 });
  });

  it('GREASE ids are 31 * N + 27 (§18.1)', () => {
    expect(isReservedTransportParameterId(27n)).toBe(true);
    expect(isReservedTransportParameterId(27n + 31n * 5n)).toBe(true);
    expect(isReservedTransportParameterId(28n)).toBe(false);
  });

  const E = TransportErrorCode.TRANSPORT_PARAMETER_ERROR;
  const bad: Array<[string, string, 'client' | 'server']> = [
    ['a duplicate parameter (§7.4)', param('04', '01') + param('04', '02'), 'server'],
    // The same id in a 1-byte and an 8-byte varint (RFC 9000 §16 allows non-minimal encodings): still one parameter.
    ['a duplicate parameter, its id encoded at two lengths', param('04', '01') + param('c000000000000004', '02'), 'server'],
    ['a duplicate GREASE parameter, its id encoded at two lengths', param('1b', '') + param('c00000000000001b', ''), 'server'],
    ['an integer parameter with no value', param('04', ''), 'server'],
    ['an integer parameter with a truncated varint', param('04', '80'), 'server'],
    ['max_udp_payload_size below 1200', param('03', '44af'), 'server'],
    ['ack_delay_exponent above 20', param('0a', '15'), 'server'],
    ['max_ack_delay of 2^14', param('0b', '8000' + '4000'), 'server'],
    // draft-ietf-quic-ack-frequency §3: min_ack_delay (µs) above max_ack_delay (ms; 25 when absent).
    ['min_ack_delay 25,001 µs with the default max_ack_delay', param('c0000000ff04de1b', '800061a9'), 'server'],
    ['min_ack_delay 10,001 µs above max_ack_delay 10 ms', param('0b', '0a') + param('c0000000ff04de1b', '80002711'), 'client'],
    ['active_connection_id_limit below 2', param('0e', '01'), 'server'],
    ['initial_max_streams_bidi above 2^60', param('08', 'd000000000000001'), 'server'],
    ['a varint parameter with trailing bytes', param('04', '0100'), 'server'],
    ['a stateless_reset_token of 15 bytes', param('02', '00'.repeat(15)), 'server'],
    ['disable_active_migration with a value', param('0c', '00'), 'server'],
    ['a connection ID of 21 bytes', param('0f', '00'.repeat(21)), 'server'],
    ['preferred_address with a zero-length CID', param('0d', '00'.repeat(24) + '00' + '00'.repeat(16)), 'server'],
    ['version_information not a multiple of 4', param('11', '000000010000'), 'server'],
    ['version_information choosing version 0', param('11', '00000000'), 'server'],
    ['version_information listing version 0', param('11', '00000001' + '00000000'), 'server'],
    ['a client whose Chosen Version is not in its Available Versions (RFC 9368 §4)', param('11', '00000001' + '6b3343cf'), 'client'],
    ['a client sending original_destination_connection_id', param('00', '01'), 'client'],
    ['a client sending stateless_reset_token', param('02', '00'.repeat(16)), 'client'],
    ['a client sending preferred_address', param('0d', '00'.repeat(24) + '01aa' + '00'.repeat(16)), 'client'],
    ['a client sending retry_source_connection_id', param('10', '01'), 'client'],
    ['a truncated parameter', '0405', 'server'],
  ];
  for (const [name, bytes, sender] of bad) {
    it(`${name} → TRANSPORT_PARAMETER_ERROR`, () => {
      expect(codeOf(hex(bytes), sender)).toBe(E);
    });
  }

  it('boundary values are accepted', () => {
    const tp = decodeTransportParameters(hex(param('03', '44b0') + param('0a', '14') + param('0b', '7fff') + param('0e', '02') + param('08', 'd000000000000000')), 'client');
    expect([tp.maxUdpPayloadSize, tp.ackDelayExponent, tp.maxAckDelay, tp.activeConnectionIdLimit]).toEqual([1200, 20, 16383, 2]);
  });
});

describe('encoding cost', () => {
  it('one buffer per encoding, no view per varint: every connection encodes its parameters (both sides) and a client again for each session ticket', () => {
    const alloc = vi.spyOn(Writer, 'alloc');
    const subarray = vi.spyOn(Uint8Array.prototype, 'subarray');
    try {
      const bytes = encodeTransportParameters(FULL_SERVER);
      // Before: a Writer and buffer per integer, preferred_address and version_information value (15 here, 16 allocations in all), and a view per varint.
      expect(alloc).toHaveBeenCalledTimes(1);
      expect(subarray).not.toHaveBeenCalled();
      subarray.mockRestore();
      expect(decodeTransportParameters(bytes, 'server')).toEqual(decodeTransportParameters(encodeTransportParameters({ ...FULL_SERVER }), 'server'));
    } finally {
      alloc.mockRestore();
      subarray.mockRestore();
    }
  });
});

describe('decoding cost', () => {
  it('no bigint and no Reader per integer parameter: every connection decodes its peer’s parameters once', () => {
    const bytes = encodeTransportParameters({ ...FULL_SERVER, minAckDelay: 1000 });
    const big = vi.spyOn(Reader.prototype, 'varintBig');
    const varint = vi.spyOn(Reader.prototype, 'varint');
    try {
      const tp = decodeTransportParameters(bytes, 'server');
      expect(tp.minAckDelay).toBe(1000);
      // Before: a bigint for every id and every integer value (a Reader each), 2 per integer parameter and 1 per
      // other. Now one only for min_ack_delay's id (0xff04de1b, an 8-byte varint); the rest are numbers.
      expect(big).toHaveBeenCalledTimes(1);
      expect(varint.mock.calls.length).toBeGreaterThan(10);
    } finally {
      big.mockRestore();
      varint.mockRestore();
    }
  });
});
