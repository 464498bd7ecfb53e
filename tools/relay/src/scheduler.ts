/**
 * @module scheduler
 * Runs callbacks at absolute deadlines (performance.now() milliseconds)
 * with one Node timer for all of them. Each lane is a FIFO whose deadlines
 * never decrease (a link delivers in order), so the next deadline is the
 * smallest lane head: no heap. Node timers count whole milliseconds and
 * fire late rather than early, so the timer is set for the deadline rounded
 * down and a job runs once its deadline is within `slackMs`: deliveries
 * land within about a millisecond either side, centred on the deadline,
 * without spinning (an idle relay uses no CPU). Deadlines are absolute and
 * never accumulated: a late timer makes one delivery late, never the ones
 * after it. Due jobs run earliest first across the lanes (`runUntil`).
 */

interface Job {
  readonly at: number;
  readonly run: () => void;
}

export class DeadlineScheduler {
  private readonly lanes: Job[][] = [];
  private readonly heads: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    lanes: number,
    private readonly slackMs = 0.75,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (let i = 0; i < lanes; i++) {
      this.lanes.push([]);
      this.heads.push(0);
    }
  }

  /** Run `run` at `at`; `at` must not be earlier than the lane's last deadline. */
  schedule(lane: number, at: number, run: () => void): void {
    if (this.stopped) return;
    this.lanes[lane]!.push({ at, run });
    if (at < this.timerAt) this.arm();
  }

  /** Jobs not yet run. */
  get pending(): number {
    let n = 0;
    for (let i = 0; i < this.lanes.length; i++) n += this.lanes[i]!.length - this.heads[i]!;
    return n;
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private next(): number {
    let at = Infinity;
    for (let i = 0; i < this.lanes.length; i++) {
      const job = this.lanes[i]![this.heads[i]!];
      if (job && job.at < at) at = job.at;
    }
    return at;
  }

  private arm(): void {
    this.disarm();
    this.timerAt = this.next();
    if (this.timerAt === Infinity || this.stopped) return;
    const wait = this.timerAt - this.now();
    // Due already (or within the slack): after pending I/O, not a whole timer tick later.
    if (wait <= this.slackMs) this.immediate = setImmediate(this.fire);
    else this.timer = setTimeout(this.fire, Math.floor(wait));
  }

  /**
   * Runs every job due by `t`, earliest deadline first across the lanes
   * (jobs they schedule included), then re-arms. The timer calls it with the
   * clock; a caller with an event of its own at `t` calls it first, so the
   * jobs due before that event run before it however late the timers are.
   */
  runUntil(t: number): void {
    for (;;) {
      let lane = -1;
      let at = Infinity;
      for (let i = 0; i < this.lanes.length; i++) {
        const job = this.lanes[i]![this.heads[i]!];
        if (job && job.at < at) [lane, at] = [i, job.at];
      }
      if (lane < 0 || at > t) break;
      this.lanes[lane]![this.heads[lane]!++]!.run();
    }
    for (let i = 0; i < this.lanes.length; i++) {
      const h = this.heads[i]!;
      if (h > 256 && h * 2 > this.lanes[i]!.length) {
        this.lanes[i]!.splice(0, h);
        this.heads[i] = 0;
      }
    }
    this.arm();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.runUntil(this.now() + this.slackMs);
  };
}
