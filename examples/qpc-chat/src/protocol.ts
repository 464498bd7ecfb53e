/**
 * @module protocol
 * The qpc protocol: ALPN `qpc`, the chat service's method ids on the wire
 * (rpc-framing RequestFrame.method_id), and the names the server accepts.
 */
import { serviceFromDesc } from '@tsquic/rpc-framing';
import { ChatService } from './gen/qpc/chat/v1/chat_pb.js';

/** The ALPN protocol identifier (RFC 7301) of qpc over QUIC. */
export const ALPN = 'qpc';

/** The chat service with its method ids. */
export const Chat = serviceFromDesc(ChatService, {
  register: 1,
  join: 2,
  leave: 3,
  send: 4,
  history: 5,
  members: 6,
  watch: 7,
});

/** Nicknames and room names: 1–32 of letters, digits, `_`, `-`, `.`. */
export const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/** The longest message text, in UTF-16 code units. */
export const MAX_TEXT = 4000;

/** History requests: the default and the largest `limit`. */
export const HISTORY_DEFAULT = 50;
export const HISTORY_MAX = 1000;

/** A history response holds at most this many bytes of messages (the newest ones), below FRAME_LIMIT. */
export const HISTORY_BYTES = 2 * 1024 * 1024;

/** rpc-framing's frame limit on both sides (its default, 4 MiB). */
export const FRAME_LIMIT = 4 * 1024 * 1024;
