/**
 * @module test/record/scripted-handshake
 * A Handshake double for record-layer tests: each call returns the next
 * scripted batch of events and records what it was given, so the record
 * layer can be driven through RFC 8448's flights with their real secrets.
 */
import type { HandshakeEventLike as HandshakeEvent, HandshakePort, Level } from '../../src/record/handshake-port.js';

type State = HandshakePort['state'];
export interface Step {
  /** What the script expects next. */
  call: 'start' | 'receive' | 'accept' | 'resume' | 'keyUpdate';
  /** For receive: bytes to accumulate at `level` before the step fires. */
  level?: Level;
  length?: number;
  events: HandshakeEvent[];
  /** State after the step (default 'running'). */
  state?: State;
}

export class ScriptedHandshake implements HandshakePort {
  readonly side: 'client' | 'server';
  state: State = 'idle';
  readLevel: Level = 'initial';
  /** Every receive() call: level and bytes. */
  readonly received: Array<{ level: Level; bytes: Uint8Array }> = [];
  readonly keyUpdates: boolean[] = [];
  private readonly steps: Step[];
  private pending = 0;

  constructor(side: 'client' | 'server', steps: Step[]) {
    this.side = side;
    this.steps = [...steps];
  }

  private next(call: Step['call']): HandshakeEvent[] {
    const step = this.steps[0];
    if (!step || step.call !== call) throw new Error(`script: unexpected ${call}, expected ${step?.call ?? 'nothing'}`);
    this.steps.shift();
    this.state = step.state ?? 'running';
    return step.events;
  }

  get remainingSteps(): number {
    return this.steps.length;
  }

  start(): HandshakeEvent[] {
    if (this.side === 'server' && this.steps[0]?.call !== 'start') return [];
    return this.next('start');
  }
  receive(level: Level, bytes: Uint8Array): HandshakeEvent[] {
    if (this.state === 'suspended') throw new Error('receive while suspended');
    this.received.push({ level, bytes: bytes.slice() });
    const step = this.steps[0];
    if (!step || step.call !== 'receive') return [];
    if (step.level !== undefined && step.level !== level) throw new Error(`script: bytes at ${level}, expected ${step.level}`);
    this.pending += bytes.length;
    if (step.length !== undefined && this.pending < step.length) return [];
    this.pending = 0;
    return this.next('receive');
  }
  accept(): HandshakeEvent[] {
    return this.next('accept');
  }
  resume(): HandshakeEvent[] {
    return this.next('resume');
  }
  keyUpdate(requestPeer: boolean): HandshakeEvent[] {
    this.keyUpdates.push(requestPeer);
    return this.next('keyUpdate');
  }
  exportKeyingMaterial(): Uint8Array {
    return new Uint8Array(0);
  }
}
