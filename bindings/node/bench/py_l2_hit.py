"""cachekit-py 0.24.1 L2-hit throughput for bench/run.mjs: a decorated function with L1 off,
after a warm-up, in one of four modes (argv: URL N MODE [CONCURRENCY]):

  sync        a plain `def`, called sequentially (the RedisBackend's own client)
  threads     the same `def`, CONCURRENCY threads calling it (the backend's connection pool;
              the GIL is released while a thread waits for Redis), each on its own argument
  async       an `async def`, awaited sequentially (0.24.1 runs the backend's sync GET in
              the event loop's thread pool: it has no redis.asyncio read path)
  async-conc  the same `async def`, CONCURRENCY calls in flight (asyncio.gather), each on
              its own argument so every call is a real Redis read (no single-flight sharing)

Prints {"ns_per_op": N} (wall time per completed call: the inverse of the throughput)."""
import asyncio
import json
import os
import sys
import threading
import time

for k in list(os.environ):
    if k.startswith("CACHEKIT_") or k == "REDIS_URL":
        del os.environ[k]

from cachekit import cache  # noqa: E402
from cachekit.backends.redis import RedisBackend  # noqa: E402

url, n = sys.argv[1], int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "sync"
conc = int(sys.argv[4]) if len(sys.argv) > 4 else 64
USER = {"id": 42, "name": "alice", "email": "alice@example.com", "roles": ["admin", "dev", "ops"], "active": True, "score": 97.5}
backend = RedisBackend(redis_url=url)


@cache(backend=backend, l1_enabled=False, ttl=3600, namespace="benchpy")
def get_user(user_id):
    return dict(USER, id=user_id)


@cache(backend=backend, l1_enabled=False, ttl=3600, namespace="benchpyasync")
async def get_user_async(user_id):
    return dict(USER, id=user_id)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def run_sync():
    for _ in range(200):
        get_user(42)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            get_user(42)
        samples.append((time.perf_counter_ns() - t0) / n)
    return median(samples)


def run_threads():
    for i in range(max(200, conc)):
        get_user(i % conc)
    per = n // conc
    samples = []
    for _ in range(5):
        start = threading.Barrier(conc + 1)

        def worker(i):
            start.wait()
            for _ in range(per):
                get_user(i)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
        for t in threads:
            t.start()
        start.wait()
        t0 = time.perf_counter_ns()
        for t in threads:
            t.join()
        samples.append((time.perf_counter_ns() - t0) / (per * conc))
    return median(samples)


async def run_async():
    for i in range(max(200, conc)):
        await get_user_async(i % conc)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter_ns()
        if mode == "async":
            for _ in range(n):
                await get_user_async(42)
        else:

            async def worker(i):
                for _ in range(n // conc):
                    await get_user_async(i)

            await asyncio.gather(*(worker(i) for i in range(conc)))
        done = n if mode == "async" else (n // conc) * conc
        samples.append((time.perf_counter_ns() - t0) / done)
    return median(samples)


if mode == "sync":
    ns = run_sync()
elif mode == "threads":
    ns = run_threads()
else:
    ns = asyncio.run(run_async())
print(json.dumps({"ns_per_op": ns, "mode": mode}))
