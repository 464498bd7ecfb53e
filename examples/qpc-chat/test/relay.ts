/**
 * A UDP relay for tests, on 127.0.0.1 between one client and a server: a
 * fixed delay each way (an artificial round-trip time), an optional drop
 * rule for the client's datagrams, and `rebind()`, which moves the relay's
 * side towards the server to a new port — to the server, a NAT rebinding of
 * the client. It records when the client's first datagram arrived.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RelayOptions {
  target: { address: string; port: number };
  /** One-way delay in ms, applied in both directions (RTT = 2 × delayMs). */
  delayMs?: number;
}

export class UdpRelay {
  /** performance.now() when the client's first datagram reached the relay. */
  firstFromClientAt: number | undefined;
  /** Datagrams from the server relayed to the client so far. */
  fromServer = 0;
  /** Datagrams from the client dropped by `dropFromClient`. */
  dropped = 0;
  /** Return true to drop a client datagram instead of relaying it. */
  dropFromClient: ((data: Buffer) => boolean) | undefined;
  private client: { address: string; port: number } | undefined;
  private upstream: Socket;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  private constructor(
    private readonly front: Socket,
    upstream: Socket,
    private readonly options: RelayOptions,
  ) {
    this.upstream = upstream;
    front.on('message', (msg, from) => {
      this.firstFromClientAt ??= performance.now();
      this.client = { address: from.address, port: from.port };
      if (this.dropFromClient?.(msg)) {
        this.dropped++;
        return;
      }
      this.later(() => this.upstream.send(msg, options.target.port, options.target.address));
    });
    this.listen(upstream);
  }

  static async start(options: RelayOptions): Promise<UdpRelay> {
    return new UdpRelay(await bound(), await bound(), options);
  }

  /** Where the client sends. */
  get address(): { address: string; port: number } {
    const a = this.front.address();
    return { address: a.address, port: a.port };
  }

  /** The port the server sees the client's datagrams come from. */
  get upstreamPort(): number {
    return this.upstream.address().port;
  }

  /** NAT rebinding: further client datagrams reach the server from a new port; the old mapping is gone. */
  async rebind(): Promise<void> {
    const old = this.upstream;
    this.upstream = await bound();
    this.listen(this.upstream);
    old.close();
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const s of [this.front, this.upstream]) {
      try {
        s.close();
      } catch {
        // closed already
      }
    }
  }

  private listen(upstream: Socket): void {
    upstream.on('message', (msg) => {
      if (upstream !== this.upstream || !this.client) return;
      this.fromServer++;
      const to = this.client;
      this.later(() => this.front.send(msg, to.port, to.address));
    });
  }

  private later(f: () => void): void {
    const delay = this.options.delayMs ?? 0;
    const run = (): void => {
      try {
        f();
      } catch {
        // a socket closed meanwhile
      }
    };
    if (delay === 0) return run();
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, delay);
    this.timers.add(t);
  }
}

function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
  });
}
