/**
 * @module peers/ipc
 * Messages between the suite and its peer processes, and the one way memory
 * is measured everywhere (after a full GC, with `--expose-gc`) and CPU time.
 */
export interface Memory {
  heapUsed: number;
  rss: number;
}

/** What a client reports of one transfer: its own clock, from the request to the last byte. */
export interface ClientReport {
  bytes: number;
  seconds: number;
  stats?: Record<string, number>;
}

export type PeerMessage =
  | { type: 'ready'; port: number }
  | ({ type: 'mem'; connections: number } & Memory)
  | { type: 'result'; bytes: number; seconds: number; stats?: Record<string, number> }
  | { type: 'opened'; connections: number; before: Memory; after: Memory }
  | { type: 'cpu'; micros: number; userMicros?: number; requests?: number }
  /** A request-rate client's measured window starts now (peers/requests). */
  | { type: 'window' }
  | { type: 'error'; message: string };

export type ParentMessage = { cmd: 'mem' } | { cmd: 'cpu' } | { cmd: 'exit' };

/** Heap and RSS after two full collections (the process runs with --expose-gc). */
export function heapAfterGc(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** This process's CPU time (user + system, all its threads), µs. */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * The TLS 1.3 cipher suite Node's servers are held to: the one ours negotiate
 * (RFC 8446 §B.4, TLS_AES_128_GCM_SHA256, first in our list). OpenSSL would
 * pick TLS_AES_256_GCM_SHA384, dearer work that would flatter our ratios.
 */
export const SAME_SUITE = 'TLS_AES_128_GCM_SHA256';
