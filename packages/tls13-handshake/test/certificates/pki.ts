/**
 * @module test/certificates/pki
 * The OpenSSL-made test PKI (test/fixtures/make-pki-fixtures.sh) and the fixed
 * validation time the tests use.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const pki = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/pki/${name}.der`, import.meta.url))));
export const pkiKey = (name: string): Uint8Array => pki(`${name}.key`);

/** 2030-01-01T00:00:00Z: inside every fixture's validity except the expired / not-yet-valid ones. */
export const NOW = Date.UTC(2030, 0, 1);
