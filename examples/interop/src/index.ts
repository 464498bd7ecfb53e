/**
 * @module index
 * The interop endpoint's building blocks, for tests and for wiring a
 * transport: the session interface, hq-interop, and the endpoint driver
 * (HTTP/3 comes from @tsquic/http3).
 */
export * from './session.js';
export * from './memory-session.js';
export * from './transport.js';
export * from './hq/hq-interop.js';
export * from './www.js';
export * from './downloads.js';
export * from './endpoint/env.js';
export * from './endpoint/testcases.js';
export * from './endpoint/plan.js';
export * from './endpoint/run.js';
