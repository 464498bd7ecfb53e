import { expect, it } from 'vitest';

it('the README example runs and decodes what it encoded', async () => {
  const { decoded } = await import('../scripts/example.js');
  expect(decoded.map((f: { type: string }) => f.type)).toEqual(['ack', 'stream']);
});
