/**
 * @module endpoint/run
 * The endpoint from environment to exit status, with the transport
 * injected: parse the environment (1 on a bad one), look the test case up
 * (127 if unsupported), require a transport (127 if none), plan, run.
 */
import { appendFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { QuicTransport } from '../transport.js';
import { runClient } from './client.js';
import { EnvironmentError, parseEnvironment } from './env.js';
import { planEndpoint, type Interfaces } from './plan.js';
import { runServer } from './server.js';
import { EXIT_UNSUPPORTED, lookupTestCase } from './testcases.js';

export interface EndpointIo {
  /** Diagnostics (stderr). */
  readonly log: (line: string) => void;
  /** Stops a server. */
  readonly signal?: AbortSignal;
  /** The machine's interfaces (default `os.networkInterfaces()`): where a server finds addresses to offer as preferred_address. */
  readonly interfaces?: Interfaces;
}

/** NSS key log lines appended to SSLKEYLOGFILE as the transport produces them. */
export function keylogAppender(path: string): (line: string) => void {
  return (line) => appendFileSync(path, line.endsWith('\n') ? line : `${line}\n`);
}

/** Runs the endpoint; resolves with the process exit status. */
export async function runEndpoint(env: Readonly<Record<string, string | undefined>>, transport: QuicTransport | undefined, io: EndpointIo): Promise<number> {
  let config;
  try {
    config = parseEnvironment(env);
  } catch (e) {
    if (!(e instanceof EnvironmentError)) throw e;
    io.log(`bad environment: ${e.message}`);
    return 1;
  }
  const testCase = lookupTestCase(config.testCase);
  if (testCase === undefined || testCase.unsupported !== undefined) {
    io.log(testCase?.unsupported ?? `test case ${config.testCase} is not supported`);
    return EXIT_UNSUPPORTED;
  }
  if (transport === undefined) {
    io.log('transport not available');
    return EXIT_UNSUPPORTED;
  }
  const plan = planEndpoint(config, testCase, io.interfaces ?? networkInterfaces());
  if (plan.role === 'server' && testCase.features.includes('preferred-address') && plan.preferredAddresses.length === 0) {
    io.log(`${config.testCase}: no address to offer as preferred_address (no non-loopback interface address; set INTEROP_PREFERRED_ADDRESS)`);
    return EXIT_UNSUPPORTED;
  }
  const keylog = plan.keylogFile !== undefined ? keylogAppender(plan.keylogFile) : undefined;
  const withKeylog = keylog ? { keylog } : {};
  if (plan.role === 'client') return runClient(plan, transport, { log: io.log, ...withKeylog });
  return runServer(plan, transport, { log: io.log, ...withKeylog, ...(io.signal ? { signal: io.signal } : {}) });
}
