/**
 * RFC 9000 §5.1.2 and §10.3: a connection ID the peer retired keeps routing
 * to its connection for three PTOs. A packet the peer sent to it before the
 * RETIRE_CONNECTION_ID — reordered, or on the other path of a migration —
 * is taken in, not answered with a stateless reset (which ngtcp2 0.12
 * accepts: gtlsclient moving to our preferred address ended with an empty
 * download that way). After the grace period the ID is unknown again.
 */
import { describe, expect, it } from 'vitest';
import { forge } from '../sim/forge.js';
import { established } from '../sim/hostile.js';
import { CLIENT_PATH } from '../sim/network.js';

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('a retired connection ID lingers (RFC 9000 §5.1.2)', () => {
  it('a packet sent to it before the RETIRE arrives after it: taken in, no stateless reset; three PTOs later the ID is unknown', () => {
    const p = established();
    const retired = p.c.remoteCids.current.cid;
    const issued = p.s.localCids.all();
    const seq = issued.find((x) => same(x.cid, retired))!.seq;
    const other = issued.find((x) => !same(x.cid, retired))!.cid;
    // Sent first, delivered last: a PING to the ID about to be retired.
    const early = forge(p.c, 2, [{ type: 'ping' }], { dcid: retired, padTo: 1200 });
    p.server.handleDatagram(p.net.now, forge(p.c, 2, [{ type: 'retire_connection_id', sequence: seq }], { dcid: other, padTo: 1200 }), CLIENT_PATH);
    expect(p.s.localCids.get(seq)).toBeUndefined(); // retired: never offered again
    const resets = p.server.counters.statelessResets;
    const received = p.s.stats.packetsReceived;
    p.server.handleDatagram(p.net.now + 1, early, CLIENT_PATH);
    expect(p.server.counters.statelessResets).toBe(resets);
    expect(p.s.stats.packetsReceived).toBe(received + 1);
    expect(p.s.state).toBe('established');

    // Three PTOs on (and a little), the route is gone: a packet to the retired ID is a stranger's.
    const later = p.net.now + 3 * p.s.recovery.ptoDuration() + 10;
    p.server.handleDatagram(later, forge(p.c, 2, [{ type: 'ping' }], { dcid: other, padTo: 1200 }), CLIENT_PATH);
    p.server.handleDatagram(later, forge(p.c, 2, [{ type: 'ping' }], { dcid: retired, padTo: 1200 }), CLIENT_PATH);
    expect(p.server.counters.statelessResets).toBe(resets + 1);
  });

  it('a peer that retires every ID we issue keeps at most four lingering routes', () => {
    const p = established();
    for (let round = 0; round < 20; round++) {
      const current = p.c.remoteCids.current.cid;
      const victim = p.s.localCids.all().find((x) => !same(x.cid, current))!;
      p.server.handleDatagram(p.net.now, forge(p.c, 2, [{ type: 'retire_connection_id', sequence: victim.seq }], { dcid: current, padTo: 1200 }), CLIENT_PATH);
    }
    expect(p.s.state).toBe('established');
    expect(p.s.localConnectionIds.length).toBe(p.s.localCids.all().length + 4);
  });
});
