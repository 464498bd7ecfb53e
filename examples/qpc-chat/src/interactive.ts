/**
 * @module interactive
 * The interactive client: a readline prompt; plain lines go to the current
 * room, `/commands` do the rest, and messages pushed by the server are
 * printed above the prompt as they arrive.
 */
import { createInterface } from 'node:readline';
import { RpcError, StatusCode } from '@tsquic/rpc-framing';
import type { ChatConnection } from './client.js';
import { formatMessage } from './format.js';

const HELP = `commands:
  /nick NAME        register a nickname (once per connection)
  /join ROOM        join a room, receive its new messages, make it current
  /leave [ROOM]     leave a room (default: the current one)
  /room ROOM        make a joined room current
  /members [ROOM]   who is in a room
  /history [N]      the last N messages of the current room (default 20)
  /help             this text
  /quit             leave
anything else is sent to the current room`;

export async function interactive(c: ChatConnection, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  const terminal = (output as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, output, terminal });
  let current: string | undefined;
  const watches = new Map<string, { cancel(): void }>();
  const say = (line: string): void => {
    // On a terminal, print over the prompt line (clear it first), then redraw the prompt and the typed input.
    output.write(terminal ? `\r\x1b[K${line}\n` : `${line}\n`);
    rl.prompt(true);
  };
  rl.setPrompt('qpc> ');
  output.write(`connected; /help for commands\n`);
  rl.prompt();

  const commands: Record<string, (arg: string) => Promise<void | 'quit'>> = {
    nick: async (arg) => say(`you are ${(await c.register(arg)).nick}`),
    join: async (arg) => {
      const res = await c.chat.join({ room: arg });
      if (!watches.has(res.room)) {
        const sub = c.chat.watch({ room: res.room });
        watches.set(res.room, sub);
        void (async () => {
          for await (const m of sub) say(formatMessage(m));
        })().catch((e: unknown) => {
          if (!(RpcError.isInstance(e) && e.code === StatusCode.CANCELLED)) say(`stopped watching ${res.room}: ${(e as Error).message}`);
        });
        await sub.response;
      }
      current = res.room;
      say(`joined ${res.room}; members: ${res.members.join(', ')}`);
    },
    leave: async (arg) => {
      const room = arg || current;
      if (!room) return say('no current room');
      await c.chat.leave({ room });
      watches.get(room)?.cancel();
      watches.delete(room);
      if (current === room) current = undefined;
      say(`left ${room}`);
    },
    room: async (arg) => {
      if (!watches.has(arg)) return say(`join ${arg} first`);
      current = arg;
      say(`current room: ${arg}`);
    },
    members: async (arg) => {
      const room = arg || current;
      if (!room) return say('no current room');
      say(`${room}: ${(await c.chat.members({ room })).members.join(', ') || '(nobody)'}`);
    },
    history: async (arg) => {
      if (!current) return say('no current room');
      const res = await c.chat.history({ room: current, limit: arg ? Number(arg) : 20 });
      for (const m of res.messages) say(formatMessage(m));
    },
    help: async () => say(HELP),
    quit: async () => 'quit',
  };

  for await (const line of rl) {
    const text = line.trim();
    if (text === '') {
      rl.prompt();
      continue;
    }
    try {
      if (text.startsWith('/')) {
        const [name = '', ...rest] = text.slice(1).split(/\s+/);
        const cmd = commands[name];
        if (!cmd) say(`unknown command /${name}; /help lists them`);
        else if ((await cmd(rest.join(' '))) === 'quit') break;
      } else if (!current) {
        say('join a room first: /join ROOM');
      } else {
        await c.send(current, text);
      }
    } catch (e) {
      say(RpcError.isInstance(e) ? `error: ${e.message}` : `error: ${(e as Error).message}`);
    }
  }
  for (const w of watches.values()) w.cancel();
  rl.close();
}
