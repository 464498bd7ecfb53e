/**
 * @module cli/help
 * The CLI's help texts, one per command.
 */

/** The options `generate` and `ca issue` share (the certificate being made). */
const LEAF_OPTIONS = `  --san <name>             DNS name or IP address; repeat or comma-separate
                           (default: localhost,127.0.0.1,::1)
  --cn <name>              subject common name (default: the first DNS SAN)
  --org <name>             subject organization (default: none)
  --key-type <type>        p256 | p384 | ed25519 | rsa2048 (default: p256)
  --days <n>               validity in days (default: 365)
  --purpose <p>            server | client | both (default: server)
  --format <f>             der | pem (default: der)
  --out <prefix>           write <prefix>-cert.<format> and <prefix>-key.<format>
                           (default: server, or client with --purpose client)
  --cert-out <file>        certificate file (overrides --out)
  --key-out <file>         private key file, PKCS#8, mode 0600 (overrides --out)
`;

export const HELP: Readonly<Record<string, string>> = {
  main: `Usage: cert-tool <command> [options]

Certificates for TLS and QUIC development: self-signed certificates, a small CA,
inspection and SPKI fingerprints.

Commands:
  generate                 create a key and a self-signed certificate
  ca create                create a CA certificate and key (root, or intermediate with --ca)
  ca issue                 issue a certificate signed by a CA
  inspect <file>...        show what certificates say
  fingerprint <file>...    print SPKI SHA-256 fingerprints (for pinning), or
                           WebTransport serverCertificateHashes (--webtransport)

Options:
  -h, --help               show help (also: cert-tool <command> --help)
  -v, --version            show the version

Exit status: 0 success, 1 error (bad input, unreadable or existing files), 2 usage error.
`,
  generate: `Usage: cert-tool generate [options]

Create a private key and a self-signed certificate for it.

Options:
${LEAF_OPTIONS}  --webtransport           the profile browsers accept with WebTransport's
                           serverCertificateHashes: ECDSA P-256, X.509 v3, at most
                           14 days (--days 1..14, default 14); also prints the
                           certificate's SHA-256 as a serverCertificateHashes value
  --force                  overwrite existing files
  -h, --help               show this help
`,
  ca: `Usage: cert-tool ca <create|issue> [options]

  ca create                create a CA certificate and key
  ca issue                 issue a certificate signed by a CA

Run "cert-tool ca create --help" or "cert-tool ca issue --help" for options.
`,
  'ca create': `Usage: cert-tool ca create [options]

Create a CA certificate (basicConstraints CA:TRUE, keyCertSign, cRLSign) and its
key: a self-signed root, or an intermediate CA signed by --ca/--ca-key.

Options:
  --cn <name>              subject common name (default: "cert-tool CA <key id>")
  --org <name>             subject organization (default: none)
  --key-type <type>        p256 | p384 | ed25519 | rsa2048 (default: p256)
  --days <n>               validity in days (default: 3650)
  --path-length <n>        basicConstraints pathLenConstraint (default: none)
  --ca <file>              issuing CA certificate, to create an intermediate CA
  --ca-key <file>          issuing CA private key
  --format <f>             der | pem (default: der)
  --out <prefix>           write <prefix>-cert.<format> and <prefix>-key.<format> (default: ca)
  --cert-out <file>        certificate file (overrides --out)
  --key-out <file>         private key file, PKCS#8, mode 0600 (overrides --out)
  --chain-out <file>       also write this CA's chain (it and its intermediates,
                           never a separate root) as PEM
  --force                  overwrite existing files
  -h, --help               show this help
`,
  'ca issue': `Usage: cert-tool ca issue --ca <file> --ca-key <file> [options]

Create a private key and a certificate for it, signed by a CA.

Options:
  --ca <file>              CA certificate (DER or PEM; PEM may add its intermediates)
  --ca-key <file>          CA private key (DER or PEM)
${LEAF_OPTIONS}  --chain-out <file>       also write the chain to send (certificate + intermediates) as PEM
  --force                  overwrite existing files
  -h, --help               show this help
`,
  inspect: `Usage: cert-tool inspect [--json] <file>...

Show subject, issuer, serial number, validity, key type, CA flag, key usages,
SANs and fingerprints of each certificate in each file (DER or PEM).

Options:
  --json                   print JSON (an array of objects, one per certificate)
  -h, --help               show this help
`,
  fingerprint: `Usage: cert-tool fingerprint [--hex | --webtransport] <file>...

Print the SHA-256 of the SubjectPublicKeyInfo (the key pin, as used by
Chromium's --ignore-certificate-errors-spki-list) of a certificate, public key
or private key file (DER or PEM). With several files, each line ends with the
file name.

Options:
  --hex                    hex instead of base64
  --webtransport           print the certificates' SHA-256 as the JavaScript value of
                           WebTransport's serverCertificateHashes (fails for a
                           certificate browsers would refuse there)
  -h, --help               show this help
`,
};
