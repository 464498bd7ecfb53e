/**
 * Whether this runtime's `Response` made from bytes has its first chunk at
 * hand: its reader's first read() settles before an already-resolved promise
 * does, the race response.ts's sendContent runs to put a small body in the
 * HEADERS frame's write. Node and Bun: yes. Deno: no (its body stream pulls
 * first), so a small response there is two writes, HEADERS then DATA.
 */
export async function firstChunkAtHand(): Promise<boolean> {
  // As the server has it: after `await handler(…)`, by when a body's stream has started.
  const response = await Promise.resolve(new Response(new Uint8Array(1)));
  const reader = response.body!.getReader();
  const later = Symbol('later');
  const first = await Promise.race([reader.read(), Promise.resolve(later)]);
  await reader.cancel();
  return first !== later;
}

/** Every runtime we run on but Deno gives a bytes body's first chunk at once. */
export const expectsFirstChunkAtHand = !('Deno' in globalThis);
