/** RFC 9114 §5.2 GOAWAY accounting, and RFC 7838 Alt-Svc. */
import { describe, expect, it } from 'vitest';
import { altSvc, parseAltSvc } from '../src/alt-svc.js';
import { GoawayState } from '../src/goaway.js';

describe('GOAWAY accounting (RFC 9114 §5.2)', () => {
  it('a server names the stream after the highest it has seen, serves what is below, rejects the rest', () => {
    const g = new GoawayState('server');
    expect(g.prepare()).toBe(0n); // nothing seen: no request will be served
    const s = new GoawayState('server');
    for (const id of [0n, 8n, 4n]) expect(s.admitRequest(id)).toBe(true);
    expect(s.draining).toBe(false);
    expect(s.prepare()).toBe(12n);
    expect(s.draining).toBe(true);
    expect(s.admitRequest(4n)).toBe(true); // below the ID, even arriving late
    expect(s.admitRequest(12n)).toBe(false);
    expect(s.admitRequest(16n)).toBe(false);
    expect(s.prepare()).toBe(12n); // never increases
  });

  it('a client sends push ID 0 and knows which of its requests were not processed', () => {
    const c = new GoawayState('client');
    expect(c.prepare()).toBe(0n);
    expect(c.unprocessed(8n)).toBe(false);
    c.receive(8n);
    expect([c.unprocessed(4n), c.unprocessed(8n), c.unprocessed(12n)]).toEqual([false, true, true]);
    expect(c.received).toBe(8n);
  });
});

describe('Alt-Svc (RFC 7838 §3)', () => {
  it('builds values', () => {
    expect(altSvc({ port: 443 })).toBe('h3=":443"');
    expect(
      altSvc([
        { port: 8443, maxAge: 86400 },
        { host: 'alt.example', port: 443, persist: true },
      ]),
    ).toBe('h3=":8443"; ma=86400, h3="alt.example:443"; persist=1');
    expect(altSvc({ protocol: 'w=x:y', host: '::1', port: 1 })).toBe('w%3Dx%3Ay="[::1]:1"');
    expect(altSvc([])).toBe('clear');
    expect(() => altSvc({ port: 0 })).toThrow(RangeError);
    expect(() => altSvc({ host: 'a"b', port: 1 })).toThrow(TypeError);
  });

  it('parses values, skipping malformed alternatives', () => {
    expect(parseAltSvc('h3=":443"; ma=3600, h3-29="alt.example:8443"; persist=1; foo="bar"')).toEqual([
      { protocol: 'h3', host: '', port: 443, maxAge: 3600 },
      { protocol: 'h3-29', host: 'alt.example', port: 8443, persist: true },
    ]);
    expect(parseAltSvc('w%3Dx%3Ay="[::1]:1"')).toEqual([{ protocol: 'w=x:y', host: '::1', port: 1 }]);
    expect(parseAltSvc(' clear ')).toBe('clear');
    expect(parseAltSvc('h3=":99999", h3=":443"')).toEqual([{ protocol: 'h3', host: '', port: 443 }]);
  });

  it('parses to one canonical shape whatever the parameter order (a fuzz finding: the round trip compared unequal)', () => {
    const a = parseAltSvc('h3=":844/"; ma=86400, h3="alt.example:443"; persist=1; ma=864');
    expect(JSON.stringify(a)).toBe(JSON.stringify(parseAltSvc(altSvc(a as never))));
    expect(JSON.stringify(a)).toBe('[{"protocol":"h3","host":"alt.example","port":443,"maxAge":864,"persist":true}]');
  });

  it('round-trips what it builds', () => {
    const entries = [
      { protocol: 'h3', host: 'a.example', port: 443, maxAge: 10 },
      { protocol: 'h3', host: '', port: 8443, persist: true },
    ];
    expect(parseAltSvc(altSvc(entries))).toEqual(entries);
  });
});
