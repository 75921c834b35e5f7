/**
 * Yields the items of `source` while already requesting the next one, so fetching page N+1
 * overlaps transforming and indexing page N. At most one item is held ahead: back-pressure,
 * not a buffer, bounds memory.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  // The consumer may be busy when a prefetch fails; it sees the error at its next await.
  next.catch(() => undefined);
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = source.next();
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}
