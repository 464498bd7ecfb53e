#!/usr/bin/env node
/**
 * @module main
 * The `interop-endpoint` executable (run by run_endpoint.sh in the runner's
 * container): the environment in, the exit status out. The QUIC transport
 * comes from `createQuicTransport()` in transport.ts, the one seam.
 */
import { runEndpoint } from './endpoint/run.js';
import { createQuicTransport } from './transport.js';

const controller = new AbortController();
process.once('SIGTERM', () => controller.abort());
process.once('SIGINT', () => controller.abort());

const status = await runEndpoint(process.env, createQuicTransport(), {
  log: (line) => process.stderr.write(`${line}\n`),
  signal: controller.signal,
});
process.exit(status);
