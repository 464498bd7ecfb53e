/**
 * @module cross-traffic
 * The runner's `tcp-cross-traffic` flow (a bulk TCP flow, server → client)
 * on the emulated path: a `CubicFlow` whose segments queue in the
 * server → client link and whose ACKs queue in the other, the links the
 * endpoints' datagrams cross. Sans-IO: the caller runs each delivery at or
 * after its deadline and says when it handles it (`now`).
 *
 * Every packet is offered to a link when it is handled, never at an
 * earlier or later deadline: the relay offers an endpoint's datagram when
 * it reads it (it cannot know how long it waited in its socket), so the
 * modelled flow, an endpoint of the same path, gets the same treatment. A
 * flow acting at its own ideal deadlines instead took queue slots in the
 * past (the loop ran late) or up to the scheduler's slack in the future
 * (it ran early), ahead of datagrams that reached the relay first; through
 * 10 Mbit/s and 25 packets ngtcp2 lost ~8 % of its datagrams, the model
 * < 1 % of its segments, and ngtcp2 had 22 % of the link where beside kernel
 * TCP CUBIC through the same bottleneck it has 50 %. In virtual time
 * (handled exactly at the deadline) both are the same model.
 */
import { CubicFlow, type CubicFlowOptions } from './cubic.js';
import type { Link } from './link.js';

/** How the caller moves the flow's packets and wakes its timer. */
export interface CrossTrafficPath {
  /** Server → client (segments) and client → server (ACKs). */
  readonly data: Link;
  readonly acks: Link;
  /** Run `run` at `at` (or later), passing the time it actually runs. `lane` 0: ACKs, 1: segments (the relay's per-direction lanes). */
  deliver(lane: 0 | 1, at: number, run: (now: number) => void): void;
  /** (Re)arm the flow's retransmission timer for `at` (undefined: disarm); `run` with the time it fires. A superseded timer that still runs is ignored. */
  timer(at: number | undefined, run: (now: number) => void): void;
}

export class CrossTraffic {
  readonly flow: CubicFlow;
  /** Segments and ACKs the links' drop-tail queues refused. */
  readonly queueDrops = { segments: 0, acks: 0 };
  private armed: number | undefined;

  constructor(
    private readonly path: CrossTrafficPath,
    options?: CubicFlowOptions,
  ) {
    this.flow = new CubicFlow(options);
  }

  /** The sender at `now`: its timer, then what its window allows (call once to start). */
  pump(now: number): void {
    const flow = this.flow;
    flow.onTimeout(now);
    for (const seg of flow.poll(now)) {
      const at = this.path.data.offer(now, flow.segmentBytes);
      if (at === undefined) {
        this.queueDrops.segments++;
        continue;
      }
      this.path.deliver(1, at, (arrived) => {
        const ack = flow.receive(seg);
        const back = this.path.acks.offer(arrived, flow.ackBytes);
        if (back === undefined) return void this.queueDrops.acks++;
        this.path.deliver(0, back, (t) => {
          flow.onAck(t, ack);
          this.pump(t);
        });
      });
    }
    const due = flow.nextTimeout();
    if (due === this.armed) return;
    this.armed = due;
    this.path.timer(due, (t) => {
      if (this.armed !== due) return; // re-armed since (a caller that cannot cancel a timer may still run it)
      this.armed = undefined;
      this.pump(t);
    });
  }
}
