#!/bin/bash
# usage: run.sh ROOT TRANSPORT_JSON BYTES → one JSON line with both sides
export ROOT=$1 T=$2
BYTES=${3:-10000000}
OUT=$(mktemp)
node $(dirname $0)/peer.mjs server > $OUT &
SP=$!
while [ ! -s $OUT ]; do sleep 0.05; done
PORT=$(head -1 $OUT)
CL=$(node $(dirname $0)/peer.mjs client $PORT $BYTES)
wait $SP
SV=$(sed -n 2p $OUT); rm -f $OUT
node -e "const c=$CL, s=$SV; const r={...c,...s}; r.ackOnlyPer10MB=Math.round(r.clientPacketsSent*1e7/r.bytes); r.serverUsPerDatagram=+(r.serverCpuUs/r.serverPacketsSent).toFixed(2); r.clientUsPerDatagram=+(r.clientCpuUs/r.clientPacketsReceived).toFixed(2); console.log(JSON.stringify(r))"
