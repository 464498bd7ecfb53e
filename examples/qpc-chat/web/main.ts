/**
 * @module web/main
 * The chat page: a nickname, rooms (join → watch → history), messages pushed
 * live on the watch's unidirectional stream, and a send box. `body[data-state]`
 * is `loading`, `ready` or `error`; every message shown is an `li` of
 * `#messages` with `data-room`, `data-nick` and the text.
 */
import { RpcError } from '@tsquic/rpc-framing';
import type { ChatMessage } from '../src/gen/qpc/chat/v1/chat_pb.js';
import { connectPage, type PageConnection } from './chat-client.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const shown = new Set<bigint>();
const watching = new Map<string, { cancel(): void }>();
let current: string | undefined;

function setStatus(text: string, state?: 'ready' | 'error'): void {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
}

function showError(e: unknown): void {
  const el = $('error');
  el.textContent = RpcError.isInstance(e) ? e.message : e instanceof Error ? e.message : String(e);
  el.hidden = false;
}

function show(m: ChatMessage): void {
  if (shown.has(m.id)) return;
  shown.add(m.id);
  const li = document.createElement('li');
  li.dataset.room = m.room;
  li.dataset.nick = m.nick;
  const room = Object.assign(document.createElement('span'), { className: 'room', textContent: `[${m.room}]` });
  const nick = Object.assign(document.createElement('span'), { className: 'nick', textContent: `${m.nick}:` });
  li.append(room, nick, document.createTextNode(m.text));
  const list = $('messages');
  // Keep id order (history and pushes can interleave).
  const after = Array.from(list.children).find((c) => BigInt((c as HTMLElement).dataset.id ?? '0') > m.id);
  li.dataset.id = String(m.id);
  list.insertBefore(li, after ?? null);
  list.scrollTop = list.scrollHeight;
}

function renderRooms(c: PageConnection): void {
  const ul = $('rooms');
  ul.replaceChildren(
    ...[...watching.keys()].map((room) => {
      const li = Object.assign(document.createElement('li'), { textContent: room });
      li.setAttribute('aria-current', String(room === current));
      li.onclick = () => void select(c, room);
      return li;
    }),
  );
}

async function select(c: PageConnection, room: string): Promise<void> {
  current = room;
  renderRooms(c);
  $<HTMLInputElement>('text').placeholder = `Message ${room}`;
  const { members } = await c.chat.members({ room });
  $('members').replaceChildren(...members.map((m) => Object.assign(document.createElement('li'), { textContent: m })));
}

async function join(c: PageConnection, room: string): Promise<void> {
  const res = await c.chat.join({ room });
  if (!watching.has(res.room)) {
    const sub = c.chat.watch({ room: res.room });
    watching.set(res.room, sub);
    void (async () => {
      for await (const m of sub) show(m);
    })().catch(showError);
    await sub.response;
    for (const m of (await c.chat.history({ room: res.room, limit: 50 })).messages) show(m);
  }
  await select(c, res.room);
}

async function run(): Promise<void> {
  const c = await connectPage();
  setStatus('Connected over WebTransport — choose a nickname', 'ready');
  void c.transport.closed.then(
    (info) => setStatus(`Disconnected (${info.closeCode} ${info.reason})`, 'error'),
    (e: unknown) => setStatus(`Connection lost: ${(e as Error).message}`, 'error'),
  );
  const guard = (f: () => Promise<void>) => (ev: Event) => {
    ev.preventDefault();
    $('error').hidden = true;
    f().catch(showError);
  };
  $('nick-form').onsubmit = guard(async () => {
    const { nick } = await c.chat.register({ nick: $<HTMLInputElement>('nick').value, token: c.token });
    $<HTMLInputElement>('nick').disabled = true;
    setStatus(`Connected as ${nick}`);
  });
  $('join-form').onsubmit = guard(() => join(c, $<HTMLInputElement>('room').value));
  $('send-form').onsubmit = guard(async () => {
    if (!current) throw new Error('join a room first');
    const input = $<HTMLInputElement>('text');
    const { message } = await c.chat.send({ room: current, text: input.value });
    input.value = '';
    if (message) show(message);
  });
}

run().catch((e: unknown) => {
  setStatus('Could not connect', 'error');
  showError(e);
});
