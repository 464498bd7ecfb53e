/**
 * A stream's direct writer (`SendSide`, reached through `STREAM_IO`) as a
 * `WritableStreamDefaultWriter` in shape: its `desiredSize` is what lets a
 * protocol layer write at once instead of spending a turn awaiting `ready`,
 * so it must be positive exactly while `ready` is resolved.
 */
import { describe, expect, it } from 'vitest';
import { SendSide, type StreamHost } from '../../src/streams/stream.js';

/** A core that takes at most `room` bytes until given more. */
function host(room: number): StreamHost & { room: number } {
  return {
    room,
    read: () => null,
    write(_id, data) {
      const n = Math.min(this.room, data.length);
      this.room -= n;
      return n;
    },
    finish: () => undefined,
    reset: () => undefined,
    stopSending: () => undefined,
    kick: () => undefined,
  };
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 0));
  return done;
};

describe('SendSide.desiredSize', () => {
  it('is positive while ready is resolved, 0 while a write waits for room, null once the side failed', async () => {
    const h = host(4);
    const send = new SendSide(h, 0);
    expect(send.desiredSize).toBeGreaterThan(0);
    expect(await settled(send.ready)).toBe(true);
    const write = send.write(new Uint8Array(10)); // the core takes 4 of 10
    expect(send.desiredSize).toBe(0);
    expect(await settled(send.ready)).toBe(false);
    h.room = 100;
    send.onWritable();
    await write;
    await new Promise((r) => setTimeout(r, 0));
    expect(send.desiredSize).toBeGreaterThan(0);
    expect(await settled(send.ready)).toBe(true);
    await send.abort(Object.assign(new Error('stop'), { code: 5n }));
    expect(send.desiredSize).toBeNull();
    await expect(send.ready).rejects.toThrow();
  });
});

describe('SendSide.write', () => {
  it('returns promises already marked handled: a caller that ignores a write to a failed side gets no unhandled rejection, and still sees the failure', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const send = new SendSide(host(4), 0);
      void send.abort(Object.assign(new Error('gone'), { code: 7n }));
      void send.write(new Uint8Array(3)); // ignored, as HTTP/3's MessageWriter ignores each write's promise
      void send.write('not bytes' as unknown as Uint8Array);
      const late = new SendSide(host(4), 4);
      void late.write(new Uint8Array(10)); // the core takes 4 of 10; the rest waits
      late.fail(new Error('connection lost'));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      await expect(send.write(new Uint8Array(1))).rejects.toThrow();
      expect(send.desiredSize).toBeNull();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
