import type { Http3Extension } from '@tsquic/http3';

const ENABLE_WEBTRANSPORT = 0x2b603742n; // draft-ietf-webtrans-http3-02, what Chromium 156 speaks

export const webtransport: Http3Extension = {
  name: 'webtransport',
  settings: [[ENABLE_WEBTRANSPORT, 1n]],              // (1) added to our SETTINGS
  datagrams: true,                                     // (5) SETTINGS_H3_DATAGRAM = 1 and QUIC DATAGRAM on
  connectProtocols: ['webtransport'],                  // (4) we send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1
  attach(conn) {
    const enabled = conn.peerSettings.then((s) => s.get(ENABLE_WEBTRANSPORT) === 1n);  // (1) the peer's
    conn.onUnidirectionalStream(0x54n, (readable) => { /* after the type varint */ });   // (2)
    conn.onBidirectionalStream(0x41n, (stream) => { /* after the signal varint */ });    // (3)
    conn.onConnect('webtransport', async (request) => {                                 // (4) server
      // Ask of the client what WebTransport needs, not ENABLE_CONNECT_PROTOCOL: that one is the server's (Chromium sends none).
      if (!(await enabled)) return request.reject({ status: 400 });
      if (request.headers.get('origin') !== 'https://example.test') return request.reject({ status: 403 });
      const tunnel = await request.accept({ headers: { 'sec-webtransport-http3-draft': 'draft02' } });
      const { readable, writable } = tunnel.capsules({ types: [0x2843n, 0x78aen] });     // (5) capsules
      tunnel.datagrams.readable;                                                         // (5) datagrams
    });
  },
};
