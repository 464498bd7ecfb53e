/**
 * @module chat-service
 * The chat logic behind the RPC handlers: nicknames (held by connections;
 * connections presenting the same owner token share one), room membership,
 * the message store, and fan-out of new messages to every watch (push
 * stream) on the room. A watcher that falls more than `MAX_WATCH_BACKLOG`
 * messages behind is cut off with RESOURCE_EXHAUSTED instead of being
 * buffered for without bound. `Send`, the one call that is not idempotent,
 * runs only once its connection's handshake is complete, so a replayed 0-RTT
 * flight (RFC 9001 §9.2, RFC 8446 §8) can never post a message.
 */
import { timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { RpcError, StatusCode, registerService, type EventSender, type RpcServer } from '@tsquic/rpc-framing';
import { ChatMessageSchema, type ChatMessage } from './gen/qpc/chat/v1/chat_pb.js';
import { Chat, HISTORY_BYTES, HISTORY_DEFAULT, HISTORY_MAX, MAX_TEXT, NAME } from './protocol.js';
import type { MessageStore, StoredMessage } from './store.js';

/** Messages a watcher may have in flight before it is dropped. */
export const MAX_WATCH_BACKLOG = 256;

/** Test hooks: `beforeAppend` runs before a message is stored (e.g. to model a slow disk). */
export interface ChatHooks {
  beforeAppend?(room: string, signal: AbortSignal): Promise<void>;
}

/** Per-connection state: `ctx.peer` of every call on the connection. */
export class ChatSession {
  nick: string | undefined;
  readonly rooms = new Set<string>();
  /**
   * Settles when the connection's handshake is complete. Calls can arrive
   * before that, in 0-RTT; the ones that change what others see wait for it.
   */
  constructor(readonly handshake: Promise<unknown> = Promise.resolve()) {}
}

/** Owner tokens (RegisterRequest.token): 16 to 64 bytes, or none. */
const TOKEN_BYTES = { min: 16, max: 64 };

/** A nickname and the connections holding it. */
interface Claim {
  readonly token: Uint8Array | undefined;
  readonly sessions: Set<ChatSession>;
}

interface Watcher {
  readonly session: ChatSession;
  readonly events: EventSender<typeof ChatMessageSchema>;
  backlog: number;
}

export class ChatService {
  private readonly nicks = new Map<string, Claim>();
  private readonly members = new Map<string, Set<ChatSession>>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(
    private readonly store: MessageStore,
    private readonly hooks: ChatHooks = {},
  ) {}

  /** Registers the chat handlers on `server`. */
  register(server: RpcServer<ChatSession>): void {
    registerService(server, Chat, {
      register: (req, ctx) => ({ nick: this.claim(ctx.peer, req.nick, req.token) }),
      join: (req, ctx) => {
        const room = roomName(req.room);
        const s = registered(ctx.peer);
        s.rooms.add(room);
        this.roomMembers(room).add(s);
        return { room, members: this.memberNames(room) };
      },
      leave: (req, ctx) => {
        this.leave(registered(ctx.peer), roomName(req.room));
        return {};
      },
      send: async (req, ctx) => {
        const room = roomName(req.room);
        const s = joined(ctx.peer, room);
        if (req.text.length === 0 || req.text.length > MAX_TEXT) throw new RpcError(StatusCode.INVALID_ARGUMENT, `a message has 1 to ${MAX_TEXT} characters`);
        // Not idempotent: never from 0-RTT data alone (RFC 8470 §5.1's rule for early data).
        await s.handshake;
        await this.hooks.beforeAppend?.(room, ctx.signal);
        const stored = await this.store.append(room, s.nick!, req.text, Date.now());
        const message = toProto(stored);
        this.broadcast(room, message);
        return { message };
      },
      history: (req) => {
        const room = roomName(req.room);
        const limit = req.limit === 0 ? HISTORY_DEFAULT : Math.min(req.limit, HISTORY_MAX);
        return { messages: withinBudget(this.store.history(room, limit, Number(req.afterId))).map(toProto) };
      },
      members: (req) => ({ members: this.memberNames(roomName(req.room)) }),
      watch: async (req, ctx) => {
        const room = roomName(req.room);
        const session = joined(ctx.peer, room);
        const events = await ctx.openEvents();
        const w: Watcher = { session, events, backlog: 0 };
        const set = this.watchers.get(room) ?? new Set<Watcher>();
        this.watchers.set(room, set);
        set.add(w);
        events.signal.addEventListener('abort', () => set.delete(w), { once: true });
      },
    });
  }

  /** Watches (push streams) open on `room`. */
  watching(room: string): number {
    return this.watchers.get(room)?.size ?? 0;
  }

  /** A connection ended: its memberships go, and its nickname once no connection holds it. */
  disconnected(s: ChatSession): void {
    for (const room of [...s.rooms]) this.leave(s, room);
    const claim = s.nick === undefined ? undefined : this.nicks.get(s.nick);
    if (claim?.sessions.delete(s) && claim.sessions.size === 0) this.nicks.delete(s.nick!);
  }

  private claim(s: ChatSession, nick: string, token: Uint8Array): string {
    if (!NAME.test(nick)) throw new RpcError(StatusCode.INVALID_ARGUMENT, 'a nickname has 1 to 32 letters, digits, _ - or .');
    if (token.length !== 0 && (token.length < TOKEN_BYTES.min || token.length > TOKEN_BYTES.max)) {
      throw new RpcError(StatusCode.INVALID_ARGUMENT, `an owner token has ${TOKEN_BYTES.min} to ${TOKEN_BYTES.max} bytes`);
    }
    if (s.nick === nick) return nick;
    if (s.nick !== undefined) throw new RpcError(StatusCode.FAILED_PRECONDITION, `this connection is already registered as ${s.nick}`);
    const held = this.nicks.get(nick);
    if (held) {
      if (!held.token || token.length !== held.token.length || !timingSafeEqual(token, held.token)) throw new RpcError(StatusCode.ALREADY_EXISTS, `the nickname ${nick} is taken`);
      held.sessions.add(s);
    } else {
      this.nicks.set(nick, { token: token.length === 0 ? undefined : token.slice(), sessions: new Set([s]) });
    }
    s.nick = nick;
    return nick;
  }

  private leave(s: ChatSession, room: string): void {
    s.rooms.delete(room);
    this.members.get(room)?.delete(s);
    for (const w of [...(this.watchers.get(room) ?? [])]) if (w.session === s) void w.events.close();
  }

  private broadcast(room: string, message: ChatMessage): void {
    for (const w of this.watchers.get(room) ?? []) {
      if (w.backlog >= MAX_WATCH_BACKLOG) {
        w.events.abort(StatusCode.RESOURCE_EXHAUSTED);
        continue;
      }
      w.backlog++;
      w.events.send(message).then(
        () => void w.backlog--,
        () => undefined, // the watcher went away; its signal removes it
      );
    }
  }

  private roomMembers(room: string): Set<ChatSession> {
    let set = this.members.get(room);
    if (!set) this.members.set(room, (set = new Set()));
    return set;
  }

  private memberNames(room: string): string[] {
    return [...new Set([...(this.members.get(room) ?? [])].map((s) => s.nick!))].sort();
  }
}

/**
 * The newest messages of `list` whose encoding fits in HISTORY_BYTES, so a
 * history response stays below the frame limit whatever the messages' sizes.
 */
function withinBudget(list: StoredMessage[]): StoredMessage[] {
  let bytes = 0;
  let start = list.length;
  while (start > 0) {
    const m = list[start - 1]!;
    // UTF-8 is at most 3 bytes per UTF-16 code unit; 32 bytes cover the tags, lengths, id and time.
    bytes += 3 * (m.text.length + m.nick.length + m.room.length) + 32;
    if (bytes > HISTORY_BYTES) break;
    start--;
  }
  return list.slice(start);
}

function roomName(room: string): string {
  if (!NAME.test(room)) throw new RpcError(StatusCode.INVALID_ARGUMENT, 'a room name has 1 to 32 letters, digits, _ - or .');
  return room;
}

function registered(s: ChatSession): ChatSession {
  if (s.nick === undefined) throw new RpcError(StatusCode.FAILED_PRECONDITION, 'register a nickname first');
  return s;
}

function joined(s: ChatSession, room: string): ChatSession {
  registered(s);
  if (!s.rooms.has(room)) throw new RpcError(StatusCode.FAILED_PRECONDITION, `join ${room} first`);
  return s;
}

function toProto(m: StoredMessage): ChatMessage {
  return create(ChatMessageSchema, { id: BigInt(m.id), room: m.room, nick: m.nick, text: m.text, sentAtMs: BigInt(m.sentAtMs) });
}
