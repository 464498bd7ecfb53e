/** The timer table of a connection and the endpoint's deadline queue. */
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../../src/core/deadlines.js';
import { prng } from '../sim/network.js';
import { TIMERS, TimerTable } from '../../src/core/timers.js';

describe('TimerTable', () => {
  it('next() is the earliest armed deadline; stopped, Infinity and null timers do not count', () => {
    const t = new TimerTable();
    expect(t.next()).toBeNull();
    t.set('idle', 30_000);
    t.set('loss', 250);
    t.set('ack', null);
    t.set('pacing', Infinity);
    expect(t.next()).toBe(250);
    t.stop('loss');
    expect(t.next()).toBe(30_000);
    expect(t.isSet('loss')).toBe(false);
    t.clear();
    expect(t.next()).toBeNull();
  });

  it('expired(now) hands out exactly the due timers, in table order, each once, and stops them', () => {
    const t = new TimerTable();
    t.set('loss', 100);
    t.set('idle', 100);
    t.set('ack', 99);
    t.set('keyDiscard', 101);
    expect([...t.expired(100)]).toEqual(['idle', 'loss', 'ack']);
    expect([...t.expired(100)]).toEqual([]);
    expect(t.next()).toBe(101);
    expect([...t.expired(1000)]).toEqual(['keyDiscard']);
  });

  it('a timer set again while the due ones are handed out runs only when it is due again', () => {
    const t = new TimerTable();
    t.set('loss', 10);
    const fired: string[] = [];
    for (const x of t.expired(10)) {
      fired.push(x);
      t.set('loss', 20); // RFC 9002 A.9: the handler re-arms from now
    }
    expect(fired).toEqual(['loss']);
    expect(t.get('loss')).toBe(20);
  });

  it('names every timer kind once', () => {
    expect(new Set(TIMERS).size).toBe(TIMERS.length);
  });
});

describe('DeadlineQueue', () => {
  it('against a sorted list: random sets, moves, deletes and pops keep the earliest first', () => {
    const rnd = prng(42);
    const q = new DeadlineQueue<number>();
    const ref = new Map<number, number>();
    for (let i = 0; i < 5_000; i++) {
      const item = Math.floor(rnd() * 200);
      const op = rnd();
      if (op < 0.6) {
        const at = Math.floor(rnd() * 10_000);
        q.set(item, at);
        ref.set(item, at);
      } else if (op < 0.75) {
        q.delete(item);
        ref.delete(item);
      } else {
        const now = Math.floor(rnd() * 10_000);
        const got = q.popDue(now);
        const min = Math.min(...ref.values());
        if (ref.size === 0 || min > now) expect(got).toBeUndefined();
        else {
          expect(ref.get(got!)).toBe(min);
          ref.delete(got!);
        }
      }
      expect(q.size).toBe(ref.size);
      expect(q.peek()).toBe(ref.size ? Math.min(...ref.values()) : null);
    }
  });

  it('null or Infinity removes; get() reads one item', () => {
    const q = new DeadlineQueue<string>();
    q.set('a', 5);
    q.set('b', 3);
    expect(q.get('a')).toBe(5);
    q.set('b', null);
    expect(q.get('b')).toBeNull();
    q.set('a', Infinity);
    expect(q.size).toBe(0);
    expect(q.peek()).toBeNull();
  });
});
