// Reads a WHATWG byte stream to its end, refusing to buffer more than
// `limit` bytes: used for request bodies (413) and peers' responses alike.

/** The stream's bytes, or "too-large" (the stream is cancelled) once more than `limit` arrive. */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer | 'too-large'> {
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return 'too-large';
    }
    chunks.push(value);
  }
}
