/**
 * @module format
 * How the client prints chat messages: `[room] nick: text`, one line each.
 */
import type { ChatMessage } from './gen/qpc/chat/v1/chat_pb.js';

export function formatMessage(m: ChatMessage): string {
  return `[${m.room}] ${m.nick}: ${m.text}`;
}
