/**
 * @module page/certificate
 * What the page shows of the server's certificate (RFC 5280 §4.1.2.6): its
 * subject distinguished name, written the RFC 4514 way (`CN=…, O=…`, most
 * specific attribute first), parsed with pkijs.
 */
import { Certificate } from 'pkijs';

/** RFC 4514 §3 short names, plus the ones commonly seen in TLS certificates. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** RFC 4514 §2.4: escape `,+"\<>;` and a leading `#`/space or trailing space. */
function escapeValue(v: string): string {
  return v
    .replace(/[,+"\\<>;]/g, (c) => `\\${c}`)
    .replace(/^[# ]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/** The subject of a DER certificate as an RFC 4514 string, e.g. `CN=localhost, O=tsquic`. */
export function certificateSubject(der: Uint8Array): string {
  const cert = Certificate.fromBER(new Uint8Array(der));
  const atvs = cert.subject.typesAndValues.map((atv) => {
    const name = SHORT_NAMES[atv.type] ?? atv.type;
    const block = atv.value.valueBlock as { value?: unknown };
    const value = typeof block.value === 'string' ? block.value : atv.value.toString();
    return `${name}=${escapeValue(value)}`;
  });
  // RFC 4514 §2.1: the RDNSequence is written last-to-first.
  return atvs.reverse().join(', ');
}
