#!/usr/bin/env bash
# Generates the test PKI for examples/tls-over-tcp into DIR (default ./certs):
#   ca.pem/ca.key             trusted root (ECDSA P-256)
#   server.pem/server.key     localhost + 127.0.0.1, serverAuth, signed by ca   (server.der/server.key.der: DER forms)
#   client.pem/client.key     a client certificate (clientAuth) signed by ca
#   wrong-name.pem/.key       signed by ca, SAN example.com only                (→ bad_certificate 42)
#   expired.pem/.key          signed by ca, valid 2020-01-01..2020-01-02        (→ certificate_expired 45)
#   other-ca.pem/.key         an unrelated root
#   untrusted.pem/.key        localhost, signed by other-ca                     (→ unknown_ca 48)
set -euo pipefail
DIR=${1:-certs}
mkdir -p "$DIR"
cd "$DIR"
ossl() { openssl "$@" 2>/dev/null; }
ec_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

root() { # name cn
  ec_key "$1.key"
  ossl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
leaf() { # name issuer san [eku]
  ec_key "$1.key"
  ossl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "${4:-serverAuth}" "$3" > "$1.ext"
  ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 825 -sha256 -extfile "$1.ext"
  rm -f "$1.csr" "$1.ext"
}

root ca "tsquic test root"
root other-ca "tsquic other root"
leaf server ca "DNS:localhost,IP:127.0.0.1"
leaf wrong-name ca "DNS:example.com"
leaf untrusted other-ca "DNS:localhost,IP:127.0.0.1"
leaf client ca "DNS:client.test" clientAuth

# An expired leaf: `openssl ca` takes explicit start and end dates.
ec_key expired.key
ossl req -new -key expired.key -out expired.csr -subj "/CN=expired"
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca-db/ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[ anything ]
commonName = supplied
[ ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
ossl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -extensions ext -notext
rm -rf ca-db expired.csr ca.srl other-ca.srl

# DER forms, to exercise the CLIs' DER input.
ossl x509 -in server.pem -outform DER -out server.der
ossl pkcs8 -topk8 -nocrypt -in server.key -outform DER -out server.key.der
ossl x509 -in ca.pem -outform DER -out ca.der
