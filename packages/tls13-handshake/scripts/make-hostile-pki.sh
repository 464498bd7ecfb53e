#!/usr/bin/env bash
# Hostile certificate chains for the path-building limits (issue 15, finding 1),
# made by OpenSSL into DIR. Used by the package's tests (test/fixtures/hostile,
# committed), the tls-over-tcp end-to-end test and the bench (fresh temp dirs).
#
#   make-hostile-pki.sh DIR [ALG] [N] [SETS]
#     ALG: p256 (default), p384, rsa2048, rsa4096; N: CA certificates (default 8);
#     SETS: which of loop,maze,nc,weak,wild to make (default all; the anchor always)
#
#   anchor.{pem,der}            an unrelated root: the trust anchor, which no chain below reaches
#   loop-leaf.{pem,der,key}     a leaf (DNS:server.test, serverAuth + clientAuth) under ...
#   loop-ca-I.{pem,der}         ... N self-signed CA certificates with one subject and one key: each
#                               signs every other (the chain of finding 1)
#   maze-leaf.{pem,der,key}     a leaf under ...
#   maze-ca-I.{pem,der}         ... N CA certificates with one subject and N keys, CA I signed by the
#                               key of CA I+1 (mod N): a path exists through every one, none to an anchor
#   nc-leaf.{pem,der,key}       a leaf with 200 DNS SANs under ...
#   nc-ca.{pem,der}             ... a self-signed CA with 200 excluded dNSName subtrees (none matches)
#   weak-root / weak-root-leaf  an RSA-1024 root and a P-256 leaf under it (finding 6)
#   weak-inter / weak-inter-leaf  an RSA-1024 intermediate under anchor, a P-256 leaf under it
#   weak-ee                     an RSA-1024 leaf under anchor; bige-ee: RSA-2048 with exponent 2^33+1
#   wild-ca / wild-leaf         an intermediate under anchor with excluded;DNS:bad.example.com, a leaf
#                               for DNS:*.example.com under it (finding 4)
#   *-chain.pem                 leaf then CAs, as a peer would send them
#   *.der, *.key.der            DER certificates and the end entities' PKCS#8 DER keys
set -euo pipefail
DIR=$1
ALG=${2:-p256}
N=${3:-8}
SETS=",${4:-loop,maze,nc,weak,wild},"
want() { [[ $SETS == *",$1,"* ]]; }
mkdir -p "$DIR"
cd "$DIR"
ossl() { openssl "$@" 2>/dev/null; }
key() {
  case "$ALG" in
    p256) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
    p384) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1" ;;
    rsa2048) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" ;;
    rsa4096) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1" ;;
    *) echo "unknown ALG $ALG" >&2; exit 2 ;;
  esac
}
CA_EXT='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign'
LEAF_EXT='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth'

# self-signed NAME KEY SUBJECT EXT
selfsigned() {
  printf '%b\n' "$4" > "$1.ext"
  ossl req -new -key "$2" -subj "$3" -out "$1.csr"
  ossl x509 -req -in "$1.csr" -signkey "$2" -days 36500 -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
# issued NAME KEY SUBJECT ISSUER_PEM ISSUER_KEY EXT
issued() {
  printf '%b\n' "$6" > "$1.ext"
  ossl req -new -key "$2" -subj "$3" -out "$1.csr"
  ossl x509 -req -in "$1.csr" -CA "$4" -CAkey "$5" -set_serial "0x$(ossl rand -hex 8)" -days 36500 -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}

key anchor.key
selfsigned anchor anchor.key "/CN=tsquic hostile anchor" "$CA_EXT"

if want loop; then
key loop.key
for i in $(seq 1 "$N"); do selfsigned "loop-ca-$i" loop.key "/CN=tsquic loop CA" "$CA_EXT"; done
key loop-leaf.key
issued loop-leaf loop-leaf.key "/CN=loop leaf" loop-ca-1.pem loop.key "$LEAF_EXT\nsubjectAltName=DNS:server.test"
cat loop-leaf.pem loop-ca-*.pem > loop-chain.pem
fi

if want maze; then
# CA I is signed by the key of CA I+1; all share one subject, so every CA is a candidate issuer of every
# other. (openssl x509 -CA wants the issuer's certificate: a self-signed stand-in per key, not sent.)
for i in $(seq 1 "$N"); do
  key "maze-$i.key"
  selfsigned "maze-signer-$i" "maze-$i.key" "/CN=tsquic maze CA" "$CA_EXT"
done
for i in $(seq 1 "$N"); do
  j=$(( i % N + 1 ))
  issued "maze-ca-$i" "maze-$i.key" "/CN=tsquic maze CA" "maze-signer-$j.pem" "maze-$j.key" "$CA_EXT"
done
key maze-leaf.key
issued maze-leaf maze-leaf.key "/CN=maze leaf" maze-signer-1.pem maze-1.key "$LEAF_EXT\nsubjectAltName=DNS:server.test"
rm -f maze-signer-*
cat maze-leaf.pem maze-ca-*.pem > maze-chain.pem
fi

if want nc; then
key nc.key
excluded=$(for i in $(seq 1 200); do printf 'excluded;DNS:x%d.example.net,' "$i"; done)
selfsigned nc-ca nc.key "/CN=tsquic nc CA" "$CA_EXT\nnameConstraints=critical,${excluded%,}"
sans=$(for i in $(seq 1 200); do printf 'DNS:h%d.example.com,' "$i"; done)
key nc-leaf.key
issued nc-leaf nc-leaf.key "/CN=nc leaf" nc-ca.pem nc.key "$LEAF_EXT\nsubjectAltName=DNS:server.test,${sans%,}"
cat nc-leaf.pem nc-ca.pem > nc-chain.pem
fi

# Weak RSA keys anywhere on the path (finding 6), and an exponent beyond 2^33.
rsa() { ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" ${3:+-pkeyopt rsa_keygen_pubexp:$3} -out "$1"; }
p256() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
SERVER_EXT="$LEAF_EXT\nsubjectAltName=DNS:server.test"
if want weak; then
rsa weak-root.key 1024
selfsigned weak-root weak-root.key "/CN=tsquic weak root" "$CA_EXT"
p256 weak-root-leaf.key
issued weak-root-leaf weak-root-leaf.key "/CN=weak root leaf" weak-root.pem weak-root.key "$SERVER_EXT"
rsa weak-inter.key 1024
issued weak-inter weak-inter.key "/CN=tsquic weak intermediate" anchor.pem anchor.key "$CA_EXT"
p256 weak-inter-leaf.key
issued weak-inter-leaf weak-inter-leaf.key "/CN=weak inter leaf" weak-inter.pem weak-inter.key "$SERVER_EXT"
rsa weak-ee.key 1024
issued weak-ee weak-ee.key "/CN=weak ee" anchor.pem anchor.key "$SERVER_EXT"
rsa bige-ee.key 2048 8589934593
issued bige-ee bige-ee.key "/CN=big exponent ee" anchor.pem anchor.key "$SERVER_EXT"
fi

# A wildcard SAN under an excluded subtree (finding 4).
if want wild; then
p256 wild-ca.key
issued wild-ca wild-ca.key "/CN=tsquic wildcard-constrained CA" anchor.pem anchor.key "$CA_EXT\nnameConstraints=critical,excluded;DNS:bad.example.com"
p256 wild-leaf.key
issued wild-leaf wild-leaf.key "/CN=wild leaf" wild-ca.pem wild-ca.key "$LEAF_EXT\nsubjectAltName=DNS:*.example.com"
fi

for p in *.pem; do case $p in *-chain.pem) ;; *) ossl x509 -in "$p" -outform DER -out "${p%.pem}.der" ;; esac; done
for k in *leaf.key weak-ee.key bige-ee.key; do [ -e "$k" ] || continue; ossl pkcs8 -topk8 -nocrypt -in "$k" -outform DER -out "${k%.key}.key.der"; done
rm -f ./*.srl
