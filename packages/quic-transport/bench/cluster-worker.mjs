// A worker of bench/cluster.ts: serves handshakes (ALPN "hs") and nothing else.
import { QuicCluster } from '../dist/index.js';

const { chain, key } = QuicCluster.workerData;
QuicCluster.endpoint().listen({ tls: { certificateChain: chain, privateKey: key, alpn: ['hs'] } });
