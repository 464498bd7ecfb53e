/**
 * Whether this runtime's `Response` made from bytes has its first chunk at
 * hand for the race response.ts's sendContent runs to put a small body in
 * the HEADERS frame's write: its reader's first read() settles within two
 * turns of an already-resolved promise, the body's stream made in the same
 * turn (a handler that returns its Response at once is not awaited). Node
 * and Bun: within one; Deno (its body stream pulls first): in the second.
 */
export async function firstChunkAtHand(): Promise<boolean> {
  const response = new Response(new Uint8Array(1));
  const reader = response.body!.getReader();
  let first: ReadableStreamReadResult<Uint8Array> | undefined;
  reader.read().then(
    (r) => (first = r),
    () => undefined,
  );
  await Promise.resolve();
  if (first === undefined) await Promise.resolve();
  await reader.cancel();
  return first !== undefined;
}

/** Every runtime we run on gives a bytes body's first chunk within those two turns (Deno in the second). */
export const expectsFirstChunkAtHand = true;
