/**
 * @module test/certificates/differential-pki
 * Random PKIs for the differential test against `openssl verify`
 * (differential.test.ts): a seeded generator of specifications — a root, up
 * to two intermediates and a leaf, with the extensions, key types,
 * signature algorithms, validity, chain order and extras of issue 15's list
 * — and their making by OpenSSL (`openssl req -x509 [-CA]`, one process per
 * certificate, from a small pool of keys).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type KeyName = 'p256a' | 'p256b' | 'p256c' | 'p384' | 'ed25519' | 'rsa2048a' | 'rsa2048b' | 'rsa1024';
export const KEYS: Record<KeyName, string[]> = {
  p256a: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p256b: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p256c: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ed25519: ['-algorithm', 'ED25519'],
  rsa2048a: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa2048b: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
};
const isRsa = (k: KeyName) => k.startsWith('rsa');

export interface CertSpec {
  id: string;
  key: KeyName;
  cn: string;
  /** Self-signed when absent. */
  issuer?: CertSpec;
  days: number;
  ext: string[];
  /** Digest and signature options for openssl (ignored for Ed25519 issuers). */
  sign: string[];
}

export interface PkiSpec {
  n: number;
  root: CertSpec;
  intermediates: CertSpec[];
  leaf: CertSpec;
  /** What the peer sends after the leaf: the intermediates in some order, maybe an unrelated extra. */
  sent: CertSpec[];
  host: string;
  /** Validation time, days from the making of the certificates. */
  atDays: number;
}

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pick by weight: [[weight, value], …]. */
const pick = <T>(r: () => number, table: [number, T][]): T => {
  let x = r() * table.reduce((n, [w]) => n + w, 0);
  for (const [w, v] of table) if ((x -= w) < 0) return v;
  return table[table.length - 1]![1];
};

const HOSTS = ['www.example.com', 'bad.example.com', 'a.b.example.com', 'example.com', 'other.example.org', '10.1.2.3', '192.0.2.7'];
const SANS: [number, string[]][] = [
  [30, ['DNS:www.example.com']],
  [15, ['DNS:*.example.com']],
  [8, ['DNS:bad.example.com']],
  [8, ['DNS:www.example.com', 'IP:10.1.2.3']],
  [6, ['IP:192.0.2.7']],
  [5, ['DNS:other.example.org', 'DNS:www.example.com']],
  [4, ['DNS:w*.example.com']],
  [4, ['DNS:*.b.example.com']],
  [5, []], // no SAN: the CN is the only name
];
const NAME_CONSTRAINTS: [number, string | undefined][] = [
  [70, undefined],
  [6, 'nameConstraints=critical,permitted;DNS:example.com'],
  [5, 'nameConstraints=critical,permitted;DNS:.example.com'],
  [6, 'nameConstraints=critical,excluded;DNS:bad.example.com'],
  [3, 'nameConstraints=critical,excluded;DNS:example.org'],
  [4, 'nameConstraints=critical,permitted;IP:10.0.0.0/255.0.0.0,permitted;DNS:example.com'],
  [3, 'nameConstraints=critical,excluded;IP:192.0.2.0/255.255.255.0'],
  [3, 'nameConstraints=critical,permitted;DNS:www.example.com'],
];

function signOptions(r: () => number, issuerKey: KeyName): string[] {
  if (issuerKey === 'ed25519') return [];
  const digest = pick(r, [
    [70, '-sha256'],
    [12, '-sha384'],
    [8, '-sha512'],
    [4, '-sha1'],
  ] as [number, string][]);
  if (isRsa(issuerKey) && r() < 0.25)
    return [
      digest === '-sha1' ? '-sha256' : digest,
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      `rsa_pss_saltlen:${pick(r, [
        [1, '-1'],
        [1, '20'],
        [1, '32'],
      ] as [number, string][])}`,
    ];
  return [digest];
}

/** The `n`-th PKI of a run seeded with `seed`. */
export function pkiSpec(seed: number, n: number): PkiSpec {
  const r = prng(seed * 1_000_003 + n);
  // A key other than the issuer's (OpenSSL omits the authority key identifier of a certificate signed by its own key).
  const key = (weights: [number, KeyName][], not?: KeyName) =>
    pick(
      r,
      weights.filter(([, k]) => k !== not),
    );
  const root: CertSpec = {
    id: `${n}-root`,
    key: key([
      [30, 'p256a'],
      [15, 'p384'],
      [15, 'ed25519'],
      [30, 'rsa2048a'],
      [5, 'rsa1024'],
      [5, 'p256b'],
    ]),
    cn: `diff root ${n}`,
    days: pick(r, [
      [92, 3650],
      [8, 30],
    ]),
    ext: [
      'basicConstraints=critical,CA:TRUE' + (r() < 0.08 ? ',pathlen:0' : ''),
      'keyUsage=critical,keyCertSign,cRLSign',
      ...(r() < 0.1
        ? [
            pick(
              r,
              NAME_CONSTRAINTS.filter((x): x is [number, string] => x[1] !== undefined),
            ),
          ]
        : []),
    ],
    sign: [],
  };
  root.sign = signOptions(r, root.key);
  const intermediates: CertSpec[] = [];
  const count = pick(r, [
    [30, 0],
    [50, 1],
    [20, 2],
  ]);
  let issuer = root;
  for (let i = 0; i < count; i++) {
    const ext = [
      pick(r, [
        [78, 'basicConstraints=critical,CA:TRUE'],
        [10, 'basicConstraints=critical,CA:TRUE,pathlen:0'],
        [6, 'basicConstraints=critical,CA:FALSE'],
        [6, ''],
      ]),
      pick(r, [
        [80, 'keyUsage=critical,keyCertSign,cRLSign'],
        [10, ''],
        [10, 'keyUsage=critical,digitalSignature'],
      ]),
      pick(r, [
        [70, ''],
        [15, 'extendedKeyUsage=serverAuth'],
        [10, 'extendedKeyUsage=clientAuth'],
        [5, 'extendedKeyUsage=anyExtendedKeyUsage'],
      ]),
      pick(r, NAME_CONSTRAINTS) ?? '',
    ].filter(Boolean);
    const ca: CertSpec = {
      id: `${n}-inter${i}`,
      key: key(
        [
          [60, 'p256b'],
          [15, 'rsa2048b'],
          [10, 'p384'],
          [10, 'ed25519'],
          [5, 'rsa1024'],
          [20, 'p256a'],
        ],
        issuer.key,
      ),
      cn: `diff inter ${n}.${i}`,
      issuer,
      days: pick(r, [
        [90, 1825],
        [10, 30],
      ]),
      ext,
      sign: signOptions(r, issuer.key),
    };
    intermediates.push(ca);
    issuer = ca;
  }
  const sans = pick(r, SANS);
  const host = r() < 0.6 && sans.length > 0 ? sans[0]!.replace(/^(DNS|IP):/, '').replace(/^\*|^w\*/, 'www') : HOSTS[Math.floor(r() * HOSTS.length)]!;
  const leafExt = [
    pick(r, [
      [70, 'basicConstraints=critical,CA:FALSE'],
      [25, ''],
      [5, 'basicConstraints=critical,CA:TRUE'],
    ]),
    pick(r, [
      [60, 'keyUsage=critical,digitalSignature'],
      [25, ''],
      [10, 'keyUsage=critical,keyEncipherment'],
      [5, 'keyUsage=critical,keyCertSign'],
    ]),
    pick(r, [
      [60, 'extendedKeyUsage=serverAuth'],
      [20, ''],
      [10, 'extendedKeyUsage=clientAuth'],
      [10, 'extendedKeyUsage=serverAuth,clientAuth'],
    ]),
    sans.length > 0 ? `subjectAltName=${sans.join(',')}` : '',
    r() < 0.03 ? '1.3.6.1.4.1.55555.7=critical,DER:05:00' : '',
  ].filter(Boolean);
  const leaf: CertSpec = {
    id: `${n}-leaf`,
    key: key(
      [
        [55, 'p256c'],
        [20, 'rsa2048b'],
        [10, 'ed25519'],
        [10, 'p384'],
        [5, 'rsa1024'],
      ],
      issuer.key,
    ),
    cn: sans.length === 0 ? host : `diff leaf ${n}`,
    issuer,
    days: pick(r, [
      [90, 365],
      [10, 2],
    ]),
    ext: leafExt,
    sign: signOptions(r, issuer.key),
  };
  const sent = [...intermediates];
  if (r() < 0.5) sent.reverse();
  if (r() < 0.15) sent.splice(Math.floor(r() * (sent.length + 1)), 0, { ...root, id: `${n}-extra`, cn: `unrelated ${n}`, issuer: undefined });
  return {
    n,
    root,
    intermediates,
    leaf,
    sent,
    host,
    atDays: pick(r, [
      [80, 1],
      [8, 60],
      [7, 400],
      [5, -1],
    ]),
  };
}

/** Hand-written PKIs for the differences the random ones reach only now and then. */
export function pinnedSpecs(from: number): PkiSpec[] {
  const CA = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const LEAF = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'];
  const spec = (n: number, o: { rootDays?: number; interExt?: string[]; san: string; host: string; atDays?: number }): PkiSpec => {
    const root: CertSpec = { id: `${n}-root`, key: 'p256a', cn: `pinned root ${n}`, days: o.rootDays ?? 3650, ext: CA, sign: ['-sha256'] };
    const inter: CertSpec = { id: `${n}-inter0`, key: 'p256b', cn: `pinned inter ${n}`, issuer: root, days: 1825, ext: [...CA, ...(o.interExt ?? [])], sign: ['-sha256'] };
    const leaf: CertSpec = { id: `${n}-leaf`, key: 'p256c', cn: `pinned leaf ${n}`, issuer: inter, days: 365, ext: [...LEAF, `subjectAltName=${o.san}`], sign: ['-sha256'] };
    return { n, root, intermediates: [inter], leaf, sent: [inter], host: o.host, atDays: o.atDays ?? 1 };
  };
  return [
    spec(from, { interExt: ['nameConstraints=critical,excluded;DNS:bad.example.com'], san: 'DNS:*.example.com', host: 'bad.example.com' }),
    spec(from + 1, { interExt: ['nameConstraints=critical,excluded;DNS:bad.example.com'], san: 'DNS:*.example.com', host: 'www.example.com' }),
    spec(from + 2, { rootDays: 30, san: 'DNS:www.example.com', host: 'www.example.com', atDays: 60 }),
  ];
}

/** Run openssl; resolves with the exit code and the output. */
export function openssl(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { cwd, timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
  });
}

const CONFIG = '[req]\ndistinguished_name=dn\n[dn]\n';

/** Make the key pool and the config openssl req needs (no default extensions). */
export async function prepare(dir: string): Promise<void> {
  writeFileSync(join(dir, 'req.cnf'), CONFIG);
  await Promise.all((Object.keys(KEYS) as KeyName[]).map((k) => openssl(['genpkey', ...KEYS[k], '-out', `${k}.key`], dir)));
}

/** Make one certificate (its issuer must exist): PEM at `${id}.pem`. */
export async function makeCert(dir: string, c: CertSpec, serial: number): Promise<void> {
  const args = ['req', '-config', 'req.cnf', '-new', '-x509', '-key', `${c.key}.key`, '-subj', `/CN=${c.cn}`, '-days', String(c.days), '-set_serial', String(serial), '-out', `${c.id}.pem`];
  if (c.issuer) args.push('-CA', `${c.issuer.id}.pem`, '-CAkey', `${c.issuer.key}.key`);
  if ((c.issuer?.key ?? c.key) !== 'ed25519') args.push(...c.sign);
  for (const e of c.ext) args.push('-addext', e);
  const r = await openssl(args, dir);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.out}`);
}
