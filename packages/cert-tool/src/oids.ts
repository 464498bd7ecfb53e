/**
 * @module oids
 * The RFC 5280 object identifiers and names this package writes and reads:
 * extension ids (§4.2.1), key purposes (§4.2.1.12), KeyUsage bit names
 * (§4.2.1.3) and name attribute types (§4.1.2.4). Plain data with no
 * dependency, so the public types (`KeyUsage`) do not pull pkijs' declarations
 * into a user's type check.
 */
export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** RFC 5280 §4.2.1.12 key purposes. */
export const KEY_PURPOSE = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** RFC 5280 §4.2.1.3 KeyUsage bit names, in bit order. */
export const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;
/** An RFC 5280 §4.2.1.3 KeyUsage bit name. */
export type KeyUsage = (typeof KEY_USAGE_BITS)[number];

/** RFC 5280 §4.1.2.4 attribute types this package writes and names when reading. */
export const NAME_ATTRIBUTES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
