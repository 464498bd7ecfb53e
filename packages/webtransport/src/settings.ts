/**
 * @module settings
 * Negotiating WebTransport over HTTP/3 (draft-ietf-webtrans-http3 §3.1, and
 * the draft-02 wire format that Chromium 156 negotiates, CHROMIUM.md): the
 * setting that enables it, the upgrade token and version header of the
 * extended CONNECT, and what each side requires of the other's SETTINGS.
 */
import { SettingId, type PeerSettings } from '@tsquic/http3';

/** draft-02: SETTINGS_ENABLE_WEBTRANSPORT (both sides send 1). */
export const SETTINGS_ENABLE_WEBTRANSPORT = 0x2b603742n;
/** draft-ietf-masque-h3-datagram-04/05's SETTINGS_H3_DATAGRAM, which Chromium still sends beside RFC 9297's 0x33. */
export const SETTINGS_H3_DATAGRAM_DRAFT04 = 0xffd277n;

/** draft-02 §3.2: the `:protocol` of the extended CONNECT (later drafts: 'webtransport-h3'). */
export const UPGRADE_TOKEN = 'webtransport';
/** draft-02: the request header naming the draft; Chromium sends `sec-webtransport-http3-draft02: 1`. */
export const DRAFT_HEADER = 'sec-webtransport-http3-draft02';
/** The response header older servers answered with (harmless to send; Chromium does not need it). */
export const DRAFT_RESPONSE_HEADER = 'sec-webtransport-http3-draft';

/** The WebTransport settings we send (besides H3_DATAGRAM and ENABLE_CONNECT_PROTOCOL, which @tsquic/http3 adds). */
export const WEBTRANSPORT_SETTINGS: readonly (readonly [bigint, bigint])[] = [[SETTINGS_ENABLE_WEBTRANSPORT, 1n]];

/** A requirement on the peer's SETTINGS: the identifiers of which one must be 1, and what it is called. */
interface Requirement {
  readonly anyOf: readonly bigint[];
  readonly name: string;
}

/**
 * §3.1 (as draft-02 has it): both sides enable WebTransport and HTTP datagrams
 * (RFC 9297 or its draft-04 code point, which Chromium also accepts); the
 * client also needs the server's extended CONNECT (RFC 9220 §3) — Chromium does
 * not, and a server must not demand it of a client.
 */
const REQUIREMENTS: Readonly<Record<'client' | 'server', readonly Requirement[]>> = {
  // What a client requires of the server.
  client: [
    { anyOf: [SETTINGS_ENABLE_WEBTRANSPORT], name: 'SETTINGS_ENABLE_WEBTRANSPORT' },
    { anyOf: [SettingId.H3_DATAGRAM, SETTINGS_H3_DATAGRAM_DRAFT04], name: 'SETTINGS_H3_DATAGRAM' },
    { anyOf: [SettingId.ENABLE_CONNECT_PROTOCOL], name: 'SETTINGS_ENABLE_CONNECT_PROTOCOL' },
  ],
  // What a server requires of the client.
  server: [
    { anyOf: [SETTINGS_ENABLE_WEBTRANSPORT], name: 'SETTINGS_ENABLE_WEBTRANSPORT' },
    { anyOf: [SettingId.H3_DATAGRAM, SETTINGS_H3_DATAGRAM_DRAFT04], name: 'SETTINGS_H3_DATAGRAM' },
  ],
};

/** The settings (by name) `peer` lacks for WebTransport, as seen by `us`; empty when it has them all. */
export function missingSettings(peer: PeerSettings, us: 'client' | 'server'): string[] {
  return REQUIREMENTS[us].filter((r) => !r.anyOf.some((id) => peer.get(id) === 1n)).map((r) => r.name);
}
