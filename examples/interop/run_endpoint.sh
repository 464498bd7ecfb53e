#!/usr/bin/env bash
# Entry point inside a QUIC interop runner container (quic-network-simulator
# endpoint image): set up routing, wait for the simulator when we are the
# client, then run the endpoint. The endpoint reads ROLE, TESTCASE, REQUESTS,
# WWW, DOWNLOADS, CERTS, SSLKEYLOGFILE, QLOGDIR and PORT from the environment
# and exits 0 (success), 1 (failure) or 127 (test case not supported).
set -euo pipefail

# Routing through the simulator (present in the runner's endpoint base image only).
if [ -x /setup.sh ]; then /setup.sh; fi

if [ "${ROLE:-}" = "client" ] && [ -x /wait-for-it.sh ]; then
  /wait-for-it.sh sim:57832 -s -t 30
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if command -v interop-endpoint >/dev/null 2>&1; then
  endpoint=(interop-endpoint)
else
  endpoint=(node "$here/dist/main.js")
fi

params="${CLIENT_PARAMS:-}"
if [ "${ROLE:-}" = "server" ]; then params="${SERVER_PARAMS:-}"; fi
# shellcheck disable=SC2086 # the runner's *_PARAMS are meant to be word-split
exec "${endpoint[@]}" $params
