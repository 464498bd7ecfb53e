/**
 * @module service
 * Service definitions: each method has a numeric id (what the RequestFrame
 * carries) and request/response message schemas (protobuf-es `DescMessage`s).
 * A `server_streaming` method answers with an empty ResponseFrame and sends
 * its output messages as events on the call's push stream. Typed client stubs
 * and typed server registration are built from a definition.
 */

import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { CallOptions } from './client-call.js';
import type { RpcClient } from './client.js';
import type { PushChannel } from './push.js';
import type { CallContext } from './server-call.js';
import type { RpcServer } from './server.js';
import { RpcError, StatusCode } from './status.js';

/** A method answers once (`unary`) or with a stream of events (`server_streaming`). */
export type MethodKind = 'unary' | 'server_streaming';

/** One method: its id on the wire, its kind and its message schemas. */
export interface MethodDef<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage, K extends MethodKind = MethodKind> {
  readonly id: number;
  readonly kind: K;
  readonly input: I;
  readonly output: O;
}

/** The methods of a service by name. */
export type MethodDefs = Record<string, MethodDef>;

/** A service's protobuf type name and its methods by name (id, kind, message schemas). */
export interface ServiceDef<M extends MethodDefs = MethodDefs> {
  readonly typeName: string;
  readonly methods: M;
}

/** A method as written in `defineService` (kind defaults to unary). */
export interface MethodSpec<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage, K extends MethodKind = MethodKind> {
  readonly id: number;
  readonly kind?: K;
  readonly input: I;
  readonly output: O;
}

/** The method definitions `defineService` makes of its specs (the method kind defaulted to unary). */
export type Normalize<M extends Record<string, MethodSpec>> = {
  [K in keyof M]: M[K] extends MethodSpec<infer I, infer O, infer Kind> ? MethodDef<I, O, M[K] extends { kind: MethodKind } ? Kind : 'unary'> : never;
};

/** Defines a service by hand: `defineService('pkg.Echo', { echo: { id: 1, input: A, output: B } })`. */
export function defineService<const M extends Record<string, MethodSpec>>(typeName: string, methods: M): ServiceDef<Normalize<M>> {
  const out: Record<string, MethodDef> = {};
  const seen = new Set<number>();
  for (const [name, m] of Object.entries(methods)) {
    if (!Number.isInteger(m.id) || m.id < 1 || m.id > 0xffffffff) throw new RangeError(`${typeName}.${name}: method id must be in 1..2^32-1`);
    if (seen.has(m.id)) throw new TypeError(`${typeName}.${name}: method id ${m.id} is used twice`);
    seen.add(m.id);
    const kind = m.kind ?? 'unary';
    if (kind !== 'unary' && kind !== 'server_streaming') throw new TypeError(`${typeName}.${name}: unsupported method kind ${String(kind)}`);
    out[name] = { id: m.id, kind, input: m.input, output: m.output };
  }
  return { typeName, methods: out as Normalize<M> };
}

/** A spec's `methodKind`, `unary` when absent. */
export type KindOf<K> = K extends 'server_streaming' ? 'server_streaming' : 'unary';

/** The definition for a protobuf-es generated service, with the method ids given per method. */
export type ServiceDefOf<S extends GenServiceMethods> = ServiceDef<{
  [K in keyof S]: MethodDef<S[K]['input'], S[K]['output'], KindOf<S[K]['methodKind']>>;
}>;

/**
 * Builds a definition from a generated `GenService` (`service X { rpc ... }`
 * in a .proto file) and a table of method ids. Client- and bidi-streaming
 * methods are not supported.
 */
export function serviceFromDesc<S extends GenServiceMethods>(desc: GenService<S>, ids: { readonly [K in keyof S]: number }): ServiceDefOf<S> {
  const methods: Record<string, MethodSpec> = {};
  for (const m of desc.methods) {
    const id = (ids as Record<string, number | undefined>)[m.localName];
    if (id === undefined) throw new TypeError(`${desc.typeName}.${m.name}: no method id given`);
    if (m.methodKind !== 'unary' && m.methodKind !== 'server_streaming') {
      throw new TypeError(`${desc.typeName}.${m.name}: ${m.methodKind} methods are not supported`);
    }
    methods[m.localName] = { id, kind: m.methodKind, input: m.input, output: m.output };
  }
  return defineService(desc.typeName, methods) as unknown as ServiceDefOf<S>;
}

/** The events of a typed subscription (a `server_streaming` method), decoded. */
export interface TypedSubscription<T> extends AsyncIterable<T> {
  /** Resolves when the server accepted the subscription; rejects with its `RpcError`. */
  readonly response: Promise<void>;
  /** Stops the subscription (STOP_SENDING CANCELLED); iteration ends. */
  cancel(): void;
}

/** Options of a typed call: `CallOptions` plus a hook for the response metadata. */
export interface TypedCallOptions extends CallOptions {
  /** Called with the response's metadata before the result resolves. */
  readonly onResponseMetadata?: (metadata: Readonly<Record<string, string>>) => void;
}

/** A typed client: one function per method. */
export type TypedClient<S extends ServiceDef> = {
  [K in keyof S['methods']]: S['methods'][K] extends MethodDef<infer I, infer O, infer Kind>
    ? Kind extends 'server_streaming'
      ? (request: MessageInitShape<I>, options?: TypedCallOptions) => TypedSubscription<MessageShape<O>>
      : (request: MessageInitShape<I>, options?: TypedCallOptions) => Promise<MessageShape<O>>
    : never;
};

/** Typed client stubs for `service` over `client`. */
export function createClient<S extends ServiceDef>(service: S, client: RpcClient): TypedClient<S> {
  const stubs: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(service.methods)) {
    stubs[name] = m.kind === 'server_streaming' ? subscribeStub(client, m) : unaryStub(client, m);
  }
  return stubs as TypedClient<S>;
}

function unaryStub(client: RpcClient, m: MethodDef) {
  return async (request: MessageInitShape<DescMessage>, options: TypedCallOptions = {}) => {
    const res = await client.call(m.id, toBinary(m.input, create(m.input, request)), options);
    options.onResponseMetadata?.(res.metadata);
    return decode(m.output, res.payload, StatusCode.INTERNAL, 'response');
  };
}

function subscribeStub(client: RpcClient, m: MethodDef) {
  return (request: MessageInitShape<DescMessage>, options: TypedCallOptions = {}): TypedSubscription<MessageShape<DescMessage>> => {
    const sub = client.subscribe(m.id, toBinary(m.input, create(m.input, request)), options);
    const response = sub.response.then((res) => void options.onResponseMetadata?.(res.metadata));
    response.catch(() => undefined);
    return {
      response,
      cancel: () => sub.cancel(),
      async *[Symbol.asyncIterator]() {
        for await (const ev of sub) {
          if (ev.eventType !== m.output.typeName) {
            sub.cancel();
            throw new RpcError(StatusCode.INTERNAL, `unexpected push event type ${ev.eventType}`);
          }
          yield decode(m.output, ev.payload, StatusCode.INTERNAL, 'event');
        }
      },
    };
  };
}

/** A typed push channel: the events of a server-streaming call. */
export interface EventSender<O extends DescMessage> {
  /** Aborted when the client cancels, the session ends or the deadline passes. */
  readonly signal: AbortSignal;
  /** Sends one event; waits while the client reads slowly (flow control). */
  send(event: MessageInitShape<O>): Promise<void>;
  /** Ends the stream of events (FIN). */
  close(): Promise<void>;
  /** Fails the stream of events with a status (RESET_STREAM). */
  abort(code?: StatusCode): void;
}

/** The context of a server-streaming handler: `openEvents()` opens the call's push stream. */
export interface StreamingCallContext<O extends DescMessage, P = unknown> extends CallContext<P> {
  /** Opens the call's push stream (once); events then go out with `send()`. */
  openEvents(): Promise<EventSender<O>>;
}

/** A typed implementation: one handler per method. */
export type ServiceImpl<S extends ServiceDef, P = unknown> = {
  [K in keyof S['methods']]: S['methods'][K] extends MethodDef<infer I, infer O, infer Kind>
    ? Kind extends 'server_streaming'
      ? (request: MessageShape<I>, ctx: StreamingCallContext<O, P>) => void | Promise<void>
      : (request: MessageShape<I>, ctx: CallContext<P>) => MessageInitShape<O> | Promise<MessageInitShape<O>>
    : never;
};

/** Registers every method of `service` on `server` with its typed handler. */
export function registerService<S extends ServiceDef, P>(server: RpcServer<P>, service: S, impl: ServiceImpl<S, P>): void {
  for (const [name, m] of Object.entries(service.methods)) {
    const h = (impl as Record<string, ((req: unknown, ctx: unknown) => unknown) | undefined>)[name];
    if (typeof h !== 'function') throw new TypeError(`${service.typeName}.${name}: no handler`);
    server.handle(m.id, async (payload, ctx) => {
      const req = decode(m.input, payload, StatusCode.INVALID_ARGUMENT, 'request');
      if (m.kind === 'server_streaming') {
        await h(req, { ...ctx, openEvents: async () => eventSender(m.output, await ctx.openPush()) });
        return new Uint8Array(0);
      }
      const out = await h(req, ctx);
      return toBinary(m.output, create(m.output, out as MessageInitShape<DescMessage>));
    });
  }
}

function eventSender<O extends DescMessage>(schema: O, ch: PushChannel): EventSender<O> {
  return {
    signal: ch.signal,
    send: (event) => ch.send(schema.typeName, toBinary(schema, create(schema, event))),
    close: () => ch.close(),
    abort: (code) => ch.abort(code),
  };
}

function decode<D extends DescMessage>(schema: D, bytes: Uint8Array, code: StatusCode, what: string): MessageShape<D> {
  try {
    return fromBinary(schema, bytes, { readUnknownFields: false });
  } catch (e) {
    throw new RpcError(code, `malformed ${what} (${schema.typeName}): ${e instanceof Error ? e.message : String(e)}`);
  }
}
