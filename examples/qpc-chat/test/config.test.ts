/** Flags beat environment variables beat the defaults of the issue. */
import { describe, expect, test } from 'vitest';
import { clientConfig, formatHostPort, parseHostPort, serverConfig } from '../src/config.js';

describe('configuration', () => {
  test('defaults', () => {
    expect(serverConfig({}, {})).toEqual({ listen: '0.0.0.0:5001', tlsCert: 'data/server-cert.der', tlsKey: 'data/server-key.der', dataDir: 'data', webTransport: true, webOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'] });
    expect(clientConfig({}, {})).toEqual({ caCert: 'data/server-cert.der', serverName: 'localhost', server: '127.0.0.1:5001', dataDir: 'data' });
  });

  test('environment over defaults, flags over environment', () => {
    const env = { QPC_LISTEN: '[::]:6000', QPC_TLS_CERT: 'e-c', QPC_TLS_KEY: 'e-k', QPC_DATA_DIR: 'e-d', QPC_CA_CERT: 'e-ca', QPC_SERVER_NAME: 'e-name', QPC_SERVER: 'e:1', QPC_WEB_ORIGINS: 'http://a:1, http://b:2', QPC_WEBTRANSPORT: '0' };
    expect(serverConfig({}, env)).toEqual({ listen: '[::]:6000', tlsCert: 'e-c', tlsKey: 'e-k', dataDir: 'e-d', webTransport: false, webOrigins: ['http://a:1', 'http://b:2'] });
    expect(serverConfig({ listen: 'f:2', tlsCert: 'f-c', tlsKey: 'f-k', dataDir: 'f-d', webOrigins: ['http://f:3'] }, env)).toEqual({
      listen: 'f:2',
      tlsCert: 'f-c',
      tlsKey: 'f-k',
      dataDir: 'f-d',
      webTransport: false,
      webOrigins: ['http://f:3'],
    });
    expect(serverConfig({ noWebTransport: true }, {}).webTransport).toBe(false);
    expect(clientConfig({}, env)).toEqual({ caCert: 'e-ca', serverName: 'e-name', server: 'e:1', dataDir: 'e-d' });
    expect(clientConfig({ caCert: 'f-ca', serverName: 'f-name', server: 'f:3', dataDir: 'f-d' }, env)).toEqual({ caCert: 'f-ca', serverName: 'f-name', server: 'f:3', dataDir: 'f-d' });
  });

  test.each([
    ['127.0.0.1:5001', { address: '127.0.0.1', port: 5001 }],
    ['[::1]:0', { address: '::1', port: 0 }],
    ['localhost:65535', { address: 'localhost', port: 65535 }],
  ])('parses %s', (s, want) => {
    expect(parseHostPort(s, '--x')).toEqual(want);
    expect(formatHostPort(want)).toBe(s);
  });

  test.each(['5001', '::1:5001', 'host:', 'host:65536', '[::1]', 'a:b'])('refuses %s', (s) => {
    expect(() => parseHostPort(s, '--server')).toThrow(RangeError);
  });
});
