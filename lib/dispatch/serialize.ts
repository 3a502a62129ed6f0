/**
 * Runs tasks one at a time per key, in arrival order: the in-process equivalent of a FIFO message
 * group, so two payments to one obligation never interleave their read-modify-write.
 */
export function keyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return async function serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      // The last task of a key removes it, so the map holds only keys with work in flight.
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
