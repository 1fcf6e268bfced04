/** Everything an async iterable gives, in an array (Node 20 has no Array.fromAsync). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const x of items) all.push(x);
  return all;
}
