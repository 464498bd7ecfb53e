/**
 * A realistic browser request header list (what headless Chromium sends for
 * a page and for a sub-resource), for the encoder tests and the bench.
 */
import type { FieldLine } from '../../src/qpack/index.js';

const COMMON: FieldLine[] = [
  { name: 'sec-ch-ua', value: '"Chromium";v="156", "Not)A;Brand";v="24"' },
  { name: 'sec-ch-ua-mobile', value: '?0' },
  { name: 'sec-ch-ua-platform', value: '"Linux"' },
  { name: 'user-agent', value: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36' },
  { name: 'accept-encoding', value: 'gzip, deflate, br, zstd' },
  { name: 'accept-language', value: 'en-US,en;q=0.9' },
  { name: 'cookie', value: 'session=6b1d0c1f9e8a4e3c9d2b7a5f0e4c8d1a; theme=dark' },
];

/** The request for a page. */
export function pageRequest(path = '/index.html'): FieldLine[] {
  return [
    { name: ':method', value: 'GET' },
    { name: ':authority', value: 'www.example.com:4433' },
    { name: ':scheme', value: 'https' },
    { name: ':path', value: path },
    ...COMMON.slice(0, 3),
    { name: 'upgrade-insecure-requests', value: '1' },
    COMMON[3]!,
    { name: 'accept', value: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7' },
    { name: 'sec-fetch-site', value: 'none' },
    { name: 'sec-fetch-mode', value: 'navigate' },
    { name: 'sec-fetch-user', value: '?1' },
    { name: 'sec-fetch-dest', value: 'document' },
    ...COMMON.slice(4),
    { name: 'priority', value: 'u=0, i' },
  ];
}

/** The request for a sub-resource of that page (an image). */
export function subresourceRequest(path: string): FieldLine[] {
  return [
    { name: ':method', value: 'GET' },
    { name: ':authority', value: 'www.example.com:4433' },
    { name: ':scheme', value: 'https' },
    { name: ':path', value: path },
    ...COMMON.slice(0, 4),
    { name: 'accept', value: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8' },
    { name: 'sec-fetch-site', value: 'same-origin' },
    { name: 'sec-fetch-mode', value: 'no-cors' },
    { name: 'sec-fetch-dest', value: 'image' },
    { name: 'referer', value: 'https://www.example.com:4433/index.html' },
    ...COMMON.slice(4),
    { name: 'priority', value: 'i' },
  ];
}
