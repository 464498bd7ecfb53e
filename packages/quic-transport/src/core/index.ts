/**
 * @module core
 * The sans-IO QUIC core: no sockets, no clocks; `now` comes in with every call.
 */
export { RangeSet } from './range-set.js';
export { TransportError, TransportErrorCode } from './errors.js';
