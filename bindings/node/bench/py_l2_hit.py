"""cachekit-py 0.24.1 L2-hit latency for bench/run.mjs: a decorated function with L1 off,
called sequentially on one key after a warm-up. Prints {"ns_per_op": N}."""
import json
import os
import sys
import time

for k in list(os.environ):
    if k.startswith("CACHEKIT_") or k == "REDIS_URL":
        del os.environ[k]

from cachekit import cache  # noqa: E402
from cachekit.backends.redis import RedisBackend  # noqa: E402

url, n = sys.argv[1], int(sys.argv[2])
USER = {"id": 42, "name": "alice", "email": "alice@example.com", "roles": ["admin", "dev", "ops"], "active": True, "score": 97.5}


@cache(backend=RedisBackend(redis_url=url), l1_enabled=False, ttl=3600, namespace="benchpy")
def get_user(user_id):
    return dict(USER, id=user_id)


for _ in range(200):
    get_user(42)
samples = []
for _ in range(5):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        get_user(42)
    samples.append((time.perf_counter_ns() - t0) / n)
samples.sort()
print(json.dumps({"ns_per_op": samples[len(samples) // 2]}))
