/**
 * @module observe
 * A transparent tap on a Handshake: every event it returns is also handed to
 * a listener (the CLIs report HelloRetryRequests and the negotiated details
 * from it). Only the public Handshake interface is used.
 */
import type { Handshake, HandshakeEvent } from '@tsquic/tls13-handshake';

export function observe(h: Handshake, listener: (e: HandshakeEvent) => void): Handshake {
  const tap = (evs: HandshakeEvent[]) => {
    for (const e of evs) listener(e);
    return evs;
  };
  return {
    get side() {
      return h.side;
    },
    get state() {
      return h.state;
    },
    get readLevel() {
      return h.readLevel;
    },
    get keyUpdateRequested() {
      return h.keyUpdateRequested;
    },
    start: (nowMs) => tap(h.start(nowMs)),
    receive: (level, bytes, nowMs) => tap(h.receive(level, bytes, nowMs)),
    accept: (choice) => tap(h.accept(choice)),
    resume: (verdict) => tap(h.resume(verdict)),
    exportKeyingMaterial: (label, context, length) => h.exportKeyingMaterial(label, context, length),
    keyUpdate: (requestPeer) => tap(h.keyUpdate(requestPeer)),
  };
}
