/**
 * @module @tsquic/rpc-framing
 * Protobuf RPC over QUIC-style streams: one bidirectional stream per call
 * (RequestFrame → ResponseFrame), server push on unidirectional streams
 * (PushFrame), gRPC-style status codes, deadlines and cancellation by stream
 * reset. Runs over any session with the WebTransport shape: `@tsquic/quic-transport`,
 * browser WebTransport, or `createMemorySessionPair()`.
 */

export type { DuplexLike, RpcSession, CloseInfo } from './session.js';
export { StreamError, SessionClosedError, streamErrorCode } from './stream-error.js';
export { StatusCode, STATUS_NAMES, RpcError, isStatusCode, statusFromResetCode } from './status.js';
export { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, FrameError, encodeFrame } from './frame-codec.js';
export {
  RequestFrameSchema,
  ResponseFrameSchema,
  PushFrameSchema,
  type RequestFrame,
  type ResponseFrame,
  type PushFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodePushFrame,
  decodeRequestFrame,
  decodeResponseFrame,
  decodePushFrame,
  MalformedFrameError,
} from './frames.js';
export { readVarint, writeVarint, varintLength, varintLengthFromFirstByte } from './varint.js';
export { systemClock, type Clock } from './clock.js';
export { RpcClient, type RpcClientOptions } from './client.js';
export type { CallOptions, RawResponse } from './client-call.js';
export { Subscription } from './subscription.js';
export { PushChannel, PushStream, type PushEvent } from './push.js';
export { RpcServer, ServerConnection, type RpcServerOptions } from './server.js';
export type { CallContext, RawHandler } from './server-call.js';
export {
  defineService,
  serviceFromDesc,
  createClient,
  registerService,
  type MethodKind,
  type MethodDef,
  type MethodDefs,
  type Normalize,
  type KindOf,
  type MethodSpec,
  type ServiceDef,
  type ServiceDefOf,
  type TypedClient,
  type TypedCallOptions,
  type TypedSubscription,
  type ServiceImpl,
  type StreamingCallContext,
  type EventSender,
} from './service.js';
export { createMemorySessionPair, type MemorySession, type MemorySessionOptions, type MemoryBidirectionalStream } from './memory-session.js';
