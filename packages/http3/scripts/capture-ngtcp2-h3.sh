#!/usr/bin/env bash
# Captures one HTTP/3 exchange between ngtcp2's gtlsclient and gtlsserver on
# loopback and prints each QUIC stream's data, decrypted by tshark with the
# client's NSS key log (the source of test/peer-capture.test.ts).
# Needs root (capture on lo), ngtcp2-client, ngtcp2-server, tshark, openssl.
set -euo pipefail
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
port="${PORT:-4437}"
mkdir -p "$dir/www" "$dir/dl"
head -c 3000 /dev/urandom >"$dir/www/file.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" \
  -out "$dir/cert.pem" -days 1 -subj /CN=localhost 2>/dev/null
timeout 15 tshark -i lo -f "udp port $port" -w "$dir/cap.pcapng" >/dev/null 2>&1 &
capture=$!
sleep 2
timeout 10 gtlsserver -q -d "$dir/www" 127.0.0.1 "$port" "$dir/key.pem" "$dir/cert.pem" >/dev/null 2>&1 &
server=$!
sleep 1
SSLKEYLOGFILE="$dir/keys.txt" timeout 10 gtlsclient -q --exit-on-all-streams-close --download "$dir/dl" \
  127.0.0.1 "$port" "https://localhost:$port/file.bin"
cmp "$dir/dl/file.bin" "$dir/www/file.bin"
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
wait "$capture" 2>/dev/null || true
tshark -r "$dir/cap.pcapng" -o "tls.keylog_file:$dir/keys.txt" -Y quic \
  -T fields -e ip.src -e udp.srcport -e quic.stream.stream_id -e quic.stream_data | awk 'NF >= 4'
