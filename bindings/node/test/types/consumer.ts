// What a TypeScript user writes, type-checked in strict mode by test.sh against dist/*.d.ts:
// the clients the package accepts, and what it refuses at compile time.
import Redis, { Cluster } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { createCache, memoryAdapter, type Cache } from '../../dist/index';

createCache({ redis: new Redis({ lazyConnect: true }) });
createCache({ redis: new Cluster([], { lazyConnect: true }) });
createCache({ redis: createClient() });
createCache({ redis: createCluster({ rootNodes: [] }) });
createCache({ redis: memoryAdapter() });
createCache({ redis: 'redis://127.0.0.1:6379' });
createCache({ redis: false });
// @ts-expect-error not a Redis client
createCache({ redis: { foo: 1 } });
// @ts-expect-error not a Redis client
createCache({ redis: new Date() });
// @ts-expect-error not an option
createCache({ tll: 60 });

export async function usage(cache: Cache): Promise<number> {
  const n: number | undefined = await cache.get<number>('n');
  const v: string = await cache.getOrSet('k', async () => 'computed', { ttl: 60, tags: ['t'] });
  const add = cache.wrap(async function add(a: number, b: number) {
    return a + b;
  });
  const sum: number = await add(1, 2);
  // @ts-expect-error wrong argument type for the wrapped function
  await add('1', 2);
  return (n ?? 0) + v.length + sum;
}
