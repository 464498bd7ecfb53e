import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it('the README example runs: handshake, echo, close', async () => {
  const { echoed } = await import('../../scripts/example.js');
  expect(echoed).toBe('hello over QUIC');
});

it('scripts/example.ts is the README example, word for word', () => {
  const read = (f: string): string => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(read('README.md'))![1]!;
  expect(read('scripts/example.ts')).toContain(block);
});
