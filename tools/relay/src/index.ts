/**
 * @module @tsquic/relay
 * The QUIC interop runner's network scenarios on loopback: a UDP relay
 * (`Relay.start`, or `forkRelay` for a child process) over a sans-IO path
 * model (`Direction`, `Link`, the error models, `CubicFlow` and
 * `CrossTraffic`, its packets on the path) parsed from the
 * runner's own scenario lines (`parseScenario`, `RUNNER_SCENARIOS`).
 */
export { AmplificationMeter, longHeaderTypes, type AmplificationReport, type LongType } from './amplification.js';
export { CrossTraffic, type CrossTrafficPath } from './cross-traffic.js';
export { CubicFlow, DEFAULT_CUBIC_FLOW, type Ack, type CubicFlowOptions, type CubicFlowStats, type Segment } from './cubic.js';
export { Direction, emptyCounters, type Decision, type DirectionCounters, type DirectionOptions, type DropReason } from './direction.js';
export { blackhole, corruptRate, dropRate, droplist, type ErrorModel, type PacketContext, type Verdict } from './error-models.js';
export { forkRelay, type ForkedRelay, type ForkedRelayOptions } from './fork.js';
export { Link, type LinkOptions } from './link.js';
export { Relay, type DirectionName, type FlowStats, type HostPort, type PacketEvent, type RelayOptions, type RelayStats } from './relay.js';
export { Rng } from './rng.js';
export { parseScenario, RUNNER_SCENARIOS, type Impairment, type Scenario, type ScenarioName } from './scenario.js';
export { DeadlineScheduler } from './scheduler.js';
export { parseRate, parseTime } from './units.js';
