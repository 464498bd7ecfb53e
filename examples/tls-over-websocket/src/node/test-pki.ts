/**
 * @module node/test-pki
 * A throw-away PKI made with the `openssl` command (RFC 5280 profiles) for
 * the demo and the tests: a root the page trusts, server certificates under
 * it (ECDSA P-256 and RSA-2048) for `localhost` and 127.0.0.1, one under an
 * intermediate CA, one for clients only, and an impostor server certificate
 * under an unrelated root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  /** PEM files. */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The trust anchor the page is given. */
  ca: KeyPair;
  /** localhost / 127.0.0.1, ECDSA P-256, under `ca`. */
  server: KeyPair;
  /** localhost / 127.0.0.1, RSA-2048 (signed with RSA-PSS in TLS 1.3), under `ca`. */
  serverRsa: KeyPair;
  /** localhost / 127.0.0.1 under an unrelated root: the page must refuse it. */
  untrusted: KeyPair;
  /** localhost under an intermediate CA under `ca`; `cert` holds the leaf then the intermediate (what a server sends). */
  viaIntermediate: KeyPair;
  /** localhost under `ca`, but extendedKeyUsage clientAuth only: not for a TLS server. */
  clientAuthOnly: KeyPair;
  /** Remove the directory. */
  remove(): void;
}

const LEAF_EXTENSIONS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1', 'authorityKeyIdentifier=keyid'];
const ROOT_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'];

/** Generate the PKI into a fresh temporary directory (about a second; RSA key generation dominates). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tls-over-websocket-pki-'));
  // An empty request config: every extension comes from -addext, none from the system openssl.cnf.
  const cnf = join(dir, 'req.cnf');
  writeFileSync(cnf, '[req]\ndistinguished_name=dn\n[dn]\n');
  const make = (name: string, subject: string, keyAlg: string[], extensions: string[], issuer?: KeyPair): KeyPair => {
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    execFileSync(
      'openssl',
      [
        'req',
        '-config',
        cnf,
        '-x509',
        '-new',
        ...keyAlg,
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-subj',
        subject,
        '-days',
        '30',
        ...(issuer ? ['-CA', issuer.certFile, '-CAkey', issuer.keyFile] : []),
        ...extensions.flatMap((e) => ['-addext', e]),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const ca = make('ca', '/O=tsquic/CN=tsquic test root', ec, ROOT_EXTENSIONS);
  const otherCa = make('other-ca', '/O=impostor/CN=unrelated root', ec, ROOT_EXTENSIONS);
  const intermediate = make('intermediate', '/O=tsquic/CN=tsquic test intermediate', ec, [...ROOT_EXTENSIONS, 'authorityKeyIdentifier=keyid'], ca);
  const viaIntermediate = make('via-intermediate', '/O=tsquic/OU=intermediate/CN=localhost', ec, LEAF_EXTENSIONS, intermediate);
  const chainFile = join(dir, 'via-intermediate-chain.pem');
  writeFileSync(chainFile, viaIntermediate.cert + intermediate.cert);
  return {
    dir,
    ca,
    server: make('server', '/O=tsquic/CN=localhost', ec, LEAF_EXTENSIONS, ca),
    serverRsa: make('server-rsa', '/O=tsquic/OU=openssl s_server/CN=localhost', ['-newkey', 'rsa:2048'], LEAF_EXTENSIONS, ca),
    untrusted: make('untrusted', '/O=impostor/CN=localhost', ec, LEAF_EXTENSIONS, otherCa),
    viaIntermediate: { ...viaIntermediate, certFile: chainFile, cert: viaIntermediate.cert + intermediate.cert },
    clientAuthOnly: make(
      'client-auth-only',
      '/O=tsquic/CN=localhost',
      ec,
      LEAF_EXTENSIONS.map((e) => e.replace('serverAuth', 'clientAuth')),
      ca,
    ),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
