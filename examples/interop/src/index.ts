/**
 * @module index
 * The interop endpoint's building blocks, for tests and for wiring a
 * transport: the session interface, HTTP/3 and QPACK, hq-interop, and the
 * endpoint driver.
 */
export * from './session.js';
export * from './memory-session.js';
export * from './transport.js';
export * from './h3/errors.js';
export * from './h3/frames.js';
export * from './h3/connection.js';
export * from './h3/client.js';
export * from './h3/server.js';
export * from './h3/message.js';
export * from './qpack/field-section.js';
export * from './qpack/huffman.js';
export * from './hq/hq-interop.js';
export * from './www.js';
export * from './downloads.js';
export * from './endpoint/env.js';
export * from './endpoint/testcases.js';
export * from './endpoint/plan.js';
export * from './endpoint/run.js';
