/**
 * @module cli/commands
 * The `cert-tool` subcommands: generate, ca create, ca issue, inspect and
 * fingerprint. Option values are checked here (UsageError); the work is done
 * by the library and its Node file helpers.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createCa, issueCertificate } from '../ca.js';
import { readCertificates, type Format } from '../certificate.js';
import { CertToolError, fail } from '../errors.js';
import { certificateSha256, spkiSha256 } from '../fingerprint.js';
import { generateSelfSigned, type IssuedCertificate, type Purpose } from '../generate.js';
import { inspectCertificate } from '../inspect.js';
import { KEY_TYPES, type KeyType } from '../key.js';
import { generateWebTransportCertificate, serverCertificateHashesSnippet, WEBTRANSPORT_MAX_VALIDITY_DAYS, webTransportCertificateProblems } from '../webtransport.js';
import { formatForPath, pathExists, readCertificateAuthority, writeCertificateFile, writePrivateKeyFile } from '../node/files.js';
import { describe, isoSeconds, sanList, table, toJson } from './render.js';
import { type Io, UsageError, type Values } from './io.js';

const str = (v: Values, k: string): string | undefined => v[k] as string | undefined;

function oneOf<T extends string>(v: Values, key: string, allowed: readonly T[], fallback: T, command: string): T {
  const x = str(v, key) ?? fallback;
  if (!allowed.includes(x as T)) throw new UsageError(`--${key} must be one of ${allowed.join(', ')}, got '${x}'`, command);
  return x as T;
}

function integer(v: Values, key: string, min: number, max: number, command: string): number | undefined {
  const x = str(v, key);
  if (x === undefined) return undefined;
  if (!/^[0-9]+$/.test(x) || Number(x) < min || Number(x) > max) throw new UsageError(`--${key} must be a whole number from ${min} to ${max}, got '${x}'`, command);
  return Number(x);
}

/** Subject, key type and validity options shared by every command that makes a certificate. */
function subjectOptions(v: Values, command: string): { commonName?: string; organization?: string; keyType: KeyType; days?: number } {
  const cn = str(v, 'cn');
  if (cn !== undefined && (cn.length === 0 || cn.length > 64)) throw new UsageError('--cn must be 1 to 64 characters', command);
  const days = integer(v, 'days', 1, 36500, command);
  return {
    ...(cn === undefined ? {} : { commonName: cn }),
    ...(str(v, 'org') === undefined ? {} : { organization: str(v, 'org')! }),
    keyType: oneOf(v, 'key-type', KEY_TYPES, 'p256', command),
    ...(days === undefined ? {} : { days }),
  };
}

/** --san values, each possibly comma-separated; undefined for the library default. */
function sans(v: Values): string[] | undefined {
  const list = v.san as string[] | undefined;
  return list?.flatMap((s) => s.split(',')).map((s) => s.trim());
}

interface Outputs {
  cert: string;
  key: string;
  chain?: string;
  format?: Format;
  force: boolean;
}

/** Output file names from --out/--cert-out/--key-out/--chain-out; EXISTS up front unless --force. */
async function outputs(v: Values, io: Io, defaultPrefix: string, command: string): Promise<Outputs> {
  const format = str(v, 'format') === undefined ? undefined : oneOf(v, 'format', ['der', 'pem'] as const, 'der', command);
  const prefix = str(v, 'out') ?? defaultPrefix;
  const ext = format ?? 'der';
  const o: Outputs = {
    cert: str(v, 'cert-out') ?? `${prefix}-cert.${ext}`,
    key: str(v, 'key-out') ?? `${prefix}-key.${ext}`,
    ...(str(v, 'chain-out') === undefined ? {} : { chain: str(v, 'chain-out')! }),
    ...(format ? { format } : {}),
    force: v.force === true,
  };
  const all = [o.cert, o.key, ...(o.chain ? [o.chain] : [])];
  if (new Set(all.map((p) => resolve(io.cwd, p))).size !== all.length) throw new UsageError('output files must differ', command);
  if (!o.force) {
    for (const p of all) if (await pathExists(resolve(io.cwd, p))) fail('EXISTS', `${p} already exists (use --force to overwrite)`);
  }
  return o;
}

async function write(made: IssuedCertificate, o: Outputs, io: Io): Promise<void> {
  const opts = (path: string): { format: Format; overwrite: boolean } => ({ format: o.format ?? formatForPath(path), overwrite: o.force });
  await writePrivateKeyFile(resolve(io.cwd, o.key), made.privateKey, opts(o.key));
  io.stdout(`wrote ${o.key} (private key, PKCS#8 ${opts(o.key).format.toUpperCase()}, mode 0600)\n`);
  await writeCertificateFile(resolve(io.cwd, o.cert), made.certificate, opts(o.cert));
  io.stdout(`wrote ${o.cert} (certificate, ${opts(o.cert).format.toUpperCase()})\n`);
  if (o.chain) {
    await writeCertificateFile(resolve(io.cwd, o.chain), made.chain, { format: 'pem', overwrite: o.force });
    io.stdout(`wrote ${o.chain} (chain of ${made.chain.length}, PEM)\n`);
  }
  const info = inspectCertificate(made.certificate);
  const rows: [string, string][] = [
    ['subject', info.subject],
    ['issuer', info.issuer],
  ];
  if (!info.isCa) rows.push(['SANs', sanList(info)]);
  rows.push(['key type', info.keyType], ['not after', isoSeconds(info.notAfter)], ['spki sha256', info.spkiSha256]);
  io.stdout(table(rows));
}

function leafPrefix(purpose: Purpose): string {
  return purpose === 'client' ? 'client' : 'server';
}

export async function generate(v: Values, _p: string[], io: Io): Promise<void> {
  if (v.webtransport === true) return generateForWebTransport(v, io);
  const purpose = oneOf(v, 'purpose', ['server', 'client', 'both'] as const, 'server', 'generate');
  const options = { ...subjectOptions(v, 'generate'), purpose, ...(sans(v) ? { sans: sans(v)! } : {}) };
  const o = await outputs(v, io, leafPrefix(purpose), 'generate');
  await write(await generateSelfSigned(options), o, io);
}

/** `generate --webtransport`: the serverCertificateHashes profile, then the hash as the page takes it. */
async function generateForWebTransport(v: Values, io: Io): Promise<void> {
  const command = 'generate';
  if (str(v, 'key-type') !== undefined && str(v, 'key-type') !== 'p256') throw new UsageError('--webtransport makes ECDSA P-256 keys; leave out --key-type', command);
  if (str(v, 'purpose') !== undefined && str(v, 'purpose') !== 'server') throw new UsageError('--webtransport makes server certificates; leave out --purpose', command);
  const days = integer(v, 'days', 1, WEBTRANSPORT_MAX_VALIDITY_DAYS, command);
  const { keyType: _p256, ...subject } = subjectOptions({ ...v, days: undefined }, command);
  const o = await outputs(v, io, 'server', command);
  const made = await generateWebTransportCertificate({ ...subject, ...(days === undefined ? {} : { days }), ...(sans(v) ? { sans: sans(v)! } : {}) });
  await write(made, o, io);
  io.stdout(table([['cert sha256', certificateSha256(made.certificate, 'hex')]]));
  io.stdout(`serverCertificateHashes: ${serverCertificateHashesSnippet(made.certificate)}\n`);
}

function caFiles(v: Values, command: string, required: boolean): { cert: string; key: string } | undefined {
  const cert = str(v, 'ca');
  const key = str(v, 'ca-key');
  if (cert === undefined && key === undefined && !required) return undefined;
  if (cert === undefined) throw new UsageError('--ca <file> is required', command);
  if (key === undefined) throw new UsageError('--ca-key <file> is required', command);
  return { cert, key };
}

export async function caCreate(v: Values, _p: string[], io: Io): Promise<void> {
  const command = 'ca create';
  const pathLength = integer(v, 'path-length', 0, 255, command);
  const parentFiles = caFiles(v, command, false);
  const options = { ...subjectOptions(v, command), ...(pathLength === undefined ? {} : { pathLength }) };
  const o = await outputs(v, io, 'ca', command);
  const issuer = parentFiles ? await readCertificateAuthority(resolve(io.cwd, parentFiles.cert), resolve(io.cwd, parentFiles.key)) : undefined;
  await write(await createCa({ ...options, ...(issuer ? { issuer } : {}) }), o, io);
}

export async function caIssue(v: Values, _p: string[], io: Io): Promise<void> {
  const command = 'ca issue';
  const files = caFiles(v, command, true)!;
  const purpose = oneOf(v, 'purpose', ['server', 'client', 'both'] as const, 'server', command);
  const options = { ...subjectOptions(v, command), purpose, ...(sans(v) ? { sans: sans(v)! } : {}) };
  const o = await outputs(v, io, leafPrefix(purpose), command);
  const ca = await readCertificateAuthority(resolve(io.cwd, files.cert), resolve(io.cwd, files.key));
  await write(await issueCertificate(ca, options), o, io);
}

async function readInput(file: string, io: Io): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(resolve(io.cwd, file)));
  } catch (e) {
    return fail('UNREADABLE', `cannot read ${file}: ${(e as { code?: string }).code ?? (e as Error).message}`, e);
  }
}

/** Run `f` on a file's bytes, naming the file in any CertToolError. */
async function perFile<T>(file: string, io: Io, f: (bytes: Uint8Array) => T): Promise<T> {
  const bytes = await readInput(file, io);
  try {
    return f(bytes);
  } catch (e) {
    if (CertToolError.isInstance(e)) throw new CertToolError(e.code, `${file}: ${e.message}`, { cause: e });
    throw e;
  }
}

export async function inspect(v: Values, files: string[], io: Io): Promise<void> {
  if (files.length === 0) throw new UsageError('missing file to inspect', 'inspect');
  const found: { file: string; certs: Uint8Array[] }[] = [];
  for (const file of files) found.push({ file, certs: await perFile(file, io, readCertificates) });
  const all = found.flatMap(({ file, certs }) => certs.map((c, i) => ({ file, info: inspectCertificate(c), label: certs.length > 1 ? `${file} [${i + 1}/${certs.length}]` : file })));
  if (v.json)
    return io.stdout(
      `${JSON.stringify(
        all.map((x) => toJson(x.info, x.file)),
        null,
        2,
      )}\n`,
    );
  io.stdout(all.map((x) => (all.length > 1 ? `== ${x.label}\n` : '') + describe(x.info)).join('\n'));
}

export async function fingerprint(v: Values, files: string[], io: Io): Promise<void> {
  if (files.length === 0) throw new UsageError('missing file to fingerprint', 'fingerprint');
  if (v.webtransport === true) return webTransportHashes(files, io);
  const encoding = v.hex ? 'hex' : 'base64';
  const lines: string[] = [];
  for (const file of files) {
    const fp = await perFile(file, io, (bytes) => spkiSha256(bytes, encoding));
    lines.push(files.length > 1 ? `${fp}  ${file}` : fp);
  }
  io.stdout(`${lines.join('\n')}\n`);
}

/** `fingerprint --webtransport`: the serverCertificateHashes expression for certificates a browser would accept. */
async function webTransportHashes(files: string[], io: Io): Promise<void> {
  const certs: Uint8Array[] = [];
  for (const file of files) {
    const cert = await perFile(file, io, (bytes) => readCertificates(bytes)[0]!);
    const problems = webTransportCertificateProblems(cert);
    if (problems.length > 0) fail('NOT_WEBTRANSPORT', `${file}: browsers refuse it for serverCertificateHashes: ${problems.join('; ')} (make one with 'cert-tool generate --webtransport')`);
    certs.push(cert);
  }
  io.stdout(`${serverCertificateHashesSnippet(certs)}\n`);
}
