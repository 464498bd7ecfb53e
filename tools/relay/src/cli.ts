#!/usr/bin/env node
/**
 * @module cli
 * `relay`: the emulated path from the command line, or (`--ipc`) as the
 * child process `forkRelay` starts.
 *
 *   relay --target 127.0.0.1:4433 [--listen 127.0.0.1:4444] [--seed 7] [--mtu 1500] [--log] SCENARIO...
 *
 * SCENARIO is a scenario line as the interop runner writes it
 * (`drop-rate --delay=15ms --bandwidth=10Mbps --queue=25 --rate_to_server=30 --rate_to_client=30`)
 * or a runner test's name (`handshakeloss`). Prints JSON lines: `ready`
 * (the address to send to), `packet` per datagram with `--log`, and
 * `stats` (every counter) on SIGINT/SIGTERM, then exits 0. Exit 2 on bad
 * arguments.
 */
import type { ForkedRelayOptions, RelayReply, RelayRequest } from './fork.js';
import { Relay, type HostPort } from './relay.js';

const USAGE = 'usage: relay --target HOST:PORT [--listen HOST:PORT] [--seed SEED] [--mtu BYTES] [--log] SCENARIO...';

function hostPort(s: string): HostPort {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new RangeError(`${JSON.stringify(s)} is not HOST:PORT or [IPv6]:PORT`);
  return { host: m[1]!, port: Number(m[2]) };
}

function parseArgs(argv: string[]): { options: ForkedRelayOptions; log: boolean } {
  let target: HostPort | undefined;
  let listen: HostPort | undefined;
  let seed: string | number | undefined;
  let mtu: number | undefined;
  let log = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${a} needs a value`);
      return v;
    };
    if (rest.length) rest.push(a);
    else if (a === '--target') target = hostPort(value());
    else if (a === '--listen') listen = hostPort(value());
    else if (a === '--seed') seed = /^\d+$/.test(argv[i + 1] ?? '') ? Number(value()) : value();
    else if (a === '--mtu') mtu = Number(value());
    else if (a === '--log') log = true;
    else if (a.startsWith('--')) throw new RangeError(`unknown option ${a}`);
    else rest.push(a);
  }
  if (!target) throw new RangeError('--target is required');
  if (!rest.length) throw new RangeError('a scenario is required');
  if (mtu !== undefined && !(mtu >= 0)) throw new RangeError('--mtu must be a byte count ≥ 0');
  return { options: { target, scenario: rest.join(' '), ...(listen ? { listen } : {}), ...(seed !== undefined ? { seed } : {}), ...(mtu !== undefined ? { mtu } : {}) }, log };
}

function print(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

async function ipc(): Promise<void> {
  const reply = (m: RelayReply): void => void process.send!(m);
  let relay: Relay | undefined;
  process.on('disconnect', () => void relay?.stop().finally(() => process.exit(0)));
  process.on('message', (m: RelayRequest) => {
    void (async () => {
      try {
        if (m.cmd === 'start') {
          relay = await Relay.start(m.options);
          reply({ event: 'ready', address: relay.address });
        } else if (!relay) reply({ event: 'error', message: 'not started' });
        else if (m.cmd === 'stats') reply({ event: 'stats', stats: relay.stats() });
        else if (m.cmd === 'rebind') {
          await relay.rebindAll();
          reply({ event: 'stats', stats: relay.stats() });
        } else if (m.cmd === 'stop') {
          reply({ event: 'stats', stats: await relay.stop() });
          process.disconnect();
        }
      } catch (e) {
        reply({ event: 'error', message: e instanceof Error ? e.message : String(e) });
      }
    })();
  });
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--ipc') return ipc();
  if (argv.includes('--help') || argv.includes('-h')) {
    print({ usage: USAGE });
    return;
  }
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`relay: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  let relay: Relay;
  try {
    relay = await Relay.start({
      ...parsed.options,
      ...(parsed.log
        ? {
            onPacket: (e) =>
              print({
                event: 'packet',
                direction: e.direction,
                flow: e.flow,
                time: +e.time.toFixed(3),
                size: e.size,
                fate: e.decision.kind === 'drop' ? `drop:${e.decision.reason}` : e.decision.corruptedAt !== undefined ? 'corrupt' : 'deliver',
                at: +(e.decision.at - (performance.now() - e.time)).toFixed(3),
              }),
          }
        : {}),
    });
  } catch (e) {
    process.stderr.write(`relay: ${(e as Error).message}\n`);
    process.exit(2);
  }
  print({ event: 'ready', address: relay.address, scenario: relay.scenario });
  const stop = (): void =>
    void relay.stop().then((stats) => {
      print({ event: 'stats', stats });
      process.exit(0);
    });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main(process.argv.slice(2));
