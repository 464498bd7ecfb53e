/**
 * @module chat-service
 * The chat logic behind the RPC handlers: nicknames per connection, room
 * membership, the message store, and fan-out of new messages to every watch
 * (push stream) on the room. A watcher that falls more than
 * `MAX_WATCH_BACKLOG` messages behind is cut off with RESOURCE_EXHAUSTED
 * instead of being buffered for without bound.
 */
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
}

interface Watcher {
  readonly session: ChatSession;
  readonly events: EventSender<typeof ChatMessageSchema>;
  backlog: number;
}

export class ChatService {
  private readonly nicks = new Map<string, ChatSession>();
  private readonly members = new Map<string, Set<ChatSession>>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(
    private readonly store: MessageStore,
    private readonly hooks: ChatHooks = {},
  ) {}

  /** Registers the chat handlers on `server`. */
  register(server: RpcServer<ChatSession>): void {
    registerService(server, Chat, {
      register: (req, ctx) => ({ nick: this.claim(ctx.peer, req.nick) }),
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

  /** A connection ended: its nickname and memberships go. */
  disconnected(s: ChatSession): void {
    for (const room of [...s.rooms]) this.leave(s, room);
    if (s.nick !== undefined && this.nicks.get(s.nick) === s) this.nicks.delete(s.nick);
  }

  private claim(s: ChatSession, nick: string): string {
    if (!NAME.test(nick)) throw new RpcError(StatusCode.INVALID_ARGUMENT, 'a nickname has 1 to 32 letters, digits, _ - or .');
    if (s.nick === nick) return nick;
    if (s.nick !== undefined) throw new RpcError(StatusCode.FAILED_PRECONDITION, `this connection is already registered as ${s.nick}`);
    if (this.nicks.has(nick)) throw new RpcError(StatusCode.ALREADY_EXISTS, `the nickname ${nick} is taken`);
    this.nicks.set(nick, s);
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
    return [...(this.members.get(room) ?? [])].map((s) => s.nick!).sort();
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
