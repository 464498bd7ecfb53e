#!/usr/bin/env node
/**
 * @module bin/qpc
 * The qpc client. Without a command: interactive (readline). Scripted:
 * `qpc send --nick N --room R TEXT…`, `qpc history --room R [--limit N]`,
 * `qpc watch --nick N --room R [--count N]`, `qpc members --room R`.
 * Errors are one line on stderr with exit status 1 (2 for usage).
 */
import { parseArgs } from 'node:util';
import { RpcError } from '@tsquic/rpc-framing';
import { QpcError, connect, type ChatConnection } from '../client.js';
import { clientConfig } from '../config.js';
import { formatMessage } from '../format.js';
import { interactive } from '../interactive.js';

const USAGE = `usage: qpc [options] [command]
commands:
  (none)                              interactive chat (readline)
  send --nick NAME --room ROOM TEXT   register, join ROOM and send TEXT
  history --room ROOM [--limit N]     print the latest N messages (default 50)
  watch --nick NAME --room ROOM [--count N]
                                      print new messages as the server pushes them; stop after N
  members --room ROOM                 print who is in ROOM
options:
  --server HOST:PORT    (env QPC_SERVER, default 127.0.0.1:5001)
  --server-name NAME    name the certificate must carry (env QPC_SERVER_NAME, default localhost)
  --ca-cert FILE        the only certificate trusted, DER (env QPC_CA_CERT, default data/server-cert.der)
  --data-dir DIR        where session tickets and the owner token are kept (env QPC_DATA_DIR,
                        default data): a returning client sends its first calls in 0-RTT
  --nick NAME           nickname (env QPC_NICK)
  --room ROOM           room (env QPC_ROOM, default lobby)
  -v, --verbose         say how the connection was made (full handshake, resumed, 0-RTT)`;

class UsageError extends Error {}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        'server-name': { type: 'string' },
        'ca-cert': { type: 'string' },
        'data-dir': { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        nick: { type: 'string' },
        room: { type: 'string' },
        limit: { type: 'string' },
        count: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`qpc: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  const config = clientConfig({ server: values.server, serverName: values['server-name'], caCert: values['ca-cert'], dataDir: values['data-dir'] }, process.env);
  const nick = values.nick ?? process.env['QPC_NICK'];
  const room = values.room ?? process.env['QPC_ROOM'] ?? 'lobby';
  let c: ChatConnection | undefined;
  try {
    if (command !== undefined && !['send', 'history', 'watch', 'members'].includes(command)) throw new UsageError(`unknown command '${command}'`);
    const needNick = (): string => {
      if (nick === undefined) throw new UsageError(`${command} needs --nick (or QPC_NICK)`);
      return nick;
    };
    if (command === 'send' && rest.length === 0) throw new UsageError('send needs the message text');
    c = await connect(config);
    if (values.verbose) {
      const conn = c;
      void conn.ready.then(
        (info) => process.stderr.write(`qpc: connected to ${config.server}: ${info.resumed ? `resumed, 0-RTT ${info.earlyData}` : 'full handshake'}\n`),
        () => undefined,
      );
    }
    switch (command) {
      case undefined:
        await interactive(c, process.stdin, process.stdout);
        break;
      case 'send': {
        // Register and join may go in 0-RTT; the send itself waits for the handshake.
        await c.register(needNick());
        await c.chat.join({ room });
        const res = await c.send(room, rest.join(' '));
        process.stdout.write(`sent #${res.message!.id} to ${room}\n`);
        break;
      }
      case 'history':
        for (const m of (await c.chat.history({ room, limit: numberFlag(values.limit, '--limit') })).messages) process.stdout.write(`${formatMessage(m)}\n`);
        break;
      case 'members':
        for (const m of (await c.chat.members({ room })).members) process.stdout.write(`${m}\n`);
        break;
      case 'watch':
        await watch(c, needNick(), room, numberFlag(values.count, '--count'));
        break;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError) {
      process.stderr.write(`qpc: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof QpcError || RpcError.isInstance(e)) {
      // A call that failed because a resumed handshake did: say why the handshake failed.
      process.stderr.write(`qpc: ${(c?.failure ?? e).message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await c?.close();
  }
}

async function watch(c: ChatConnection, nick: string, room: string, count: number): Promise<void> {
  await c.register(nick);
  await c.chat.join({ room });
  const sub = c.chat.watch({ room });
  const stop = (): void => sub.cancel();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void sub.response.then(
    () => process.stderr.write(`qpc: watching ${room} as ${nick}\n`),
    () => undefined,
  );
  let seen = 0;
  try {
    for await (const m of sub) {
      process.stdout.write(`${formatMessage(m)}\n`);
      if (++seen === count) break;
    }
  } catch (e) {
    // Ctrl-C ends a watch normally.
    if (!(RpcError.isInstance(e) && e.codeName === 'CANCELLED')) throw e;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function numberFlag(v: string | undefined, name: string): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a non-negative integer`);
  return n;
}

process.exitCode = await main();
