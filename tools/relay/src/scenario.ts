/**
 * @module scenario
 * The interop runner's network scenarios, written as the runner writes
 * them for its ns-3 simulator (`simple-p2p --delay=15ms --bandwidth=10Mbps
 * --queue=25`, `drop-rate ... --rate_to_server=30 --burst_to_server=3`,
 * ...), parsed into one `Scenario`: the link of both directions, the
 * impairments of each direction, NAT rebinding and cross traffic.
 * `RUNNER_SCENARIOS` gives, for each runner test and measurement, the
 * scenario line it runs (shared/specs/interop-runner-testcases.md).
 * An unknown scenario or option, or a missing required one, is the
 * caller's mistake: `RangeError` naming it.
 */
import { parseRate, parseTime } from './units.js';

export type ScenarioName = 'simple-p2p' | 'drop-rate' | 'corrupt-rate' | 'droplist' | 'blackhole' | 'rebind' | 'tcp-cross-traffic';

/** One direction's impairment, before it is given its random stream. */
export type Impairment =
  | { readonly kind: 'drop-rate' | 'corrupt-rate'; readonly rate: number; readonly burst: number }
  | { readonly kind: 'droplist'; readonly packets: readonly number[] }
  | { readonly kind: 'blackhole'; readonly onMs: number; readonly offMs: number; readonly repeat: number };

export interface Scenario {
  readonly name: ScenarioName;
  /** One-way delay of the link, ms. */
  readonly delayMs: number;
  /** Bit/s. */
  readonly bandwidth: number;
  /** Packets that may wait at each end of the link. */
  readonly queue: number;
  readonly toServer: readonly Impairment[];
  readonly toClient: readonly Impairment[];
  /** NAT rebinding of the client side (the `rebind` scenario). */
  readonly rebind?: { readonly firstMs: number; readonly everyMs: number; readonly address: boolean };
  /** A bulk TCP CUBIC flow server → client sharing the bottleneck (the `tcp-cross-traffic` scenario). */
  readonly crossTraffic?: boolean;
}

/** Each scenario's options beyond delay/bandwidth/queue, and whether they are required. */
const OPTIONS: Readonly<Record<ScenarioName, Readonly<Record<string, 'required' | 'optional' | 'flag'>>>> = {
  'simple-p2p': {},
  'drop-rate': { rate_to_server: 'required', rate_to_client: 'required', burst_to_server: 'optional', burst_to_client: 'optional' },
  'corrupt-rate': { rate_to_server: 'required', rate_to_client: 'required', burst_to_server: 'optional', burst_to_client: 'optional' },
  droplist: { drops_to_server: 'optional', drops_to_client: 'optional' },
  blackhole: { on: 'required', off: 'required', repeat: 'optional', direction: 'optional' },
  rebind: { 'first-rebind': 'optional', 'rebind-freq': 'optional', 'rebind-addr': 'flag' },
  'tcp-cross-traffic': {},
};

/** The scenario line of every runner test and measurement (the runner's `scenario()`). */
export const RUNNER_SCENARIOS: Readonly<Record<string, string>> = (() => {
  const p2p = '--delay=15ms --bandwidth=10Mbps --queue=25';
  const simple = `simple-p2p ${p2p}`;
  const rebind = `rebind ${p2p} --first-rebind=1s --rebind-freq=5s`;
  return {
    handshake: simple,
    transfer: simple,
    longrtt: 'simple-p2p --delay=750ms --bandwidth=10Mbps --queue=25',
    chacha20: simple,
    multiplexing: simple,
    retry: simple,
    resumption: simple,
    zerortt: simple,
    http3: simple,
    blackhole: `blackhole ${p2p} --on=5s --off=2s`,
    keyupdate: simple,
    ecn: simple,
    amplificationlimit: `droplist ${p2p} --drops_to_server=2,3,4,5,6,7`,
    handshakeloss: `drop-rate ${p2p} --rate_to_server=30 --rate_to_client=30 --burst_to_server=3 --burst_to_client=3`,
    transferloss: `drop-rate ${p2p} --rate_to_server=2 --rate_to_client=2 --burst_to_server=3 --burst_to_client=3`,
    handshakecorruption: `corrupt-rate ${p2p} --rate_to_server=30 --rate_to_client=30 --burst_to_server=3 --burst_to_client=3`,
    transfercorruption: `corrupt-rate ${p2p} --rate_to_server=2 --rate_to_client=2 --burst_to_server=3 --burst_to_client=3`,
    ipv6: simple,
    v2: simple,
    'rebind-port': rebind,
    'rebind-addr': `${rebind} --rebind-addr`,
    connectionmigration: simple,
    goodput: simple,
    crosstraffic: `tcp-cross-traffic ${p2p}`,
  };
})();

function number(name: string, text: string): number {
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) throw new RangeError(`--${name}=${text} is not a non-negative number`);
  return n;
}

function packetList(name: string, text: string): number[] {
  return text === ''
    ? []
    : text.split(',').map((t) => {
        const n = Number(t);
        if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name}: ${JSON.stringify(t)} is not a packet number (1-based)`);
        return n;
      });
}

/**
 * Parses a scenario line (`name --opt=value ...`, or the name of a runner
 * test such as `handshakeloss`, which stands for its scenario line).
 */
export function parseScenario(line: string): Scenario {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const first = words[0];
  if (first === undefined) throw new RangeError('empty scenario');
  // A runner test's name alone stands for its line (`blackhole` is both a test and a scenario).
  if (words.length === 1 && Object.hasOwn(RUNNER_SCENARIOS, first)) return parseScenario(RUNNER_SCENARIOS[first]!);
  if (!(first in OPTIONS)) {
    const runner = Object.hasOwn(RUNNER_SCENARIOS, first) ? RUNNER_SCENARIOS[first] : undefined;
    if (runner === undefined || words.length > 1) throw new RangeError(`unknown scenario ${JSON.stringify(first)} (one of ${Object.keys(OPTIONS).join(', ')}, or a runner test: ${Object.keys(RUNNER_SCENARIOS).join(', ')})`);
    return parseScenario(runner);
  }
  const name = first as ScenarioName;
  const allowed: Record<string, 'required' | 'optional' | 'flag'> = { delay: 'required', bandwidth: 'required', queue: 'required', ...OPTIONS[name] };
  const opts = new Map<string, string>();
  for (const w of words.slice(1)) {
    const m = /^--([a-z_-]+)(?:=(.*))?$/.exec(w);
    if (!m || !(m[1]! in allowed))
      throw new RangeError(
        `${name}: unknown option ${w} (allowed: ${Object.keys(allowed)
          .map((k) => `--${k}`)
          .join(' ')})`,
      );
    if (allowed[m[1]!] !== 'flag' && m[2] === undefined) throw new RangeError(`${name}: --${m[1]} needs a value`);
    opts.set(m[1]!, m[2] ?? 'true');
  }
  for (const [k, need] of Object.entries(allowed)) if (need === 'required' && !opts.has(k)) throw new RangeError(`${name}: missing --${k}`);
  const get = (k: string): string | undefined => opts.get(k);
  const base = { name, delayMs: parseTime(get('delay')!), bandwidth: parseRate(get('bandwidth')!), queue: number('queue', get('queue')!) };
  const none: Impairment[] = [];
  switch (name) {
    case 'drop-rate':
    case 'corrupt-rate': {
      const side = (to: 'server' | 'client'): Impairment[] => {
        const rate = number(`rate_to_${to}`, get(`rate_to_${to}`)!);
        if (rate > 100) throw new RangeError(`${name}: --rate_to_${to}=${rate} is over 100 (a percentage)`);
        const burst = get(`burst_to_${to}`) === undefined ? Infinity : number(`burst_to_${to}`, get(`burst_to_${to}`)!);
        return rate > 0 ? [{ kind: name, rate, burst: Math.max(1, burst) }] : [];
      };
      return { ...base, toServer: side('server'), toClient: side('client') };
    }
    case 'droplist': {
      const side = (to: 'server' | 'client'): Impairment[] => {
        const packets = packetList(`drops_to_${to}`, get(`drops_to_${to}`) ?? '');
        return packets.length ? [{ kind: 'droplist', packets }] : [];
      };
      return { ...base, toServer: side('server'), toClient: side('client') };
    }
    case 'blackhole': {
      const direction = get('direction') ?? 'both';
      if (!['both', 'toclient', 'toserver'].includes(direction)) throw new RangeError(`blackhole: --direction=${direction} (both, toclient or toserver)`);
      const repeat = get('repeat') === undefined ? 1 : number('repeat', get('repeat')!);
      if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`blackhole: --repeat=${repeat} must be a positive integer`);
      const hole: Impairment[] = [{ kind: 'blackhole', onMs: parseTime(get('on')!), offMs: parseTime(get('off')!), repeat }];
      return { ...base, toServer: direction === 'toclient' ? none : hole, toClient: direction === 'toserver' ? none : hole };
    }
    case 'rebind': {
      const firstMs = parseTime(get('first-rebind') ?? '0s');
      const everyMs = parseTime(get('rebind-freq') ?? '0s');
      if (firstMs <= 0) throw new RangeError('rebind: --first-rebind must be > 0');
      return { ...base, toServer: none, toClient: none, rebind: { firstMs, everyMs, address: get('rebind-addr') === 'true' } };
    }
    case 'tcp-cross-traffic':
      return { ...base, toServer: none, toClient: none, crossTraffic: true };
    case 'simple-p2p':
      return { ...base, toServer: none, toClient: none };
  }
}
