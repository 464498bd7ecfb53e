import { expect, it } from 'vitest';

it('the README example runs: handshake, echo, close', async () => {
  const { echoed } = await import('../../scripts/example.js');
  expect(echoed).toBe('hello over QUIC');
});
