<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use Cachekit\Cache;
use PHPUnit\Framework\TestCase;

final class CacheTest extends TestCase
{
    private \Redis|\RedisCluster $redis;

    protected function setUp(): void
    {
        $this->redis = Support::redis();
    }

    private function cache(array $options = []): Cache
    {
        $options += ['namespace' => Support::unique('t')];
        return new Cache($this->redis, $options);
    }

    public function testSetGetHasDelete(): void
    {
        $c = $this->cache();
        $this->assertNull($c->get('k'));
        $this->assertSame('dflt', $c->get('k', 'dflt'));
        $this->assertFalse($c->has('k'));
        $this->assertTrue($c->set('k', ['a' => 1, 'list' => [1, 2.5, true, null, 'x']]));
        $this->assertSame(['a' => 1, 'list' => [1, 2.5, true, null, 'x']], $c->get('k'));
        $this->assertTrue($c->has('k'));
        $this->assertTrue($c->delete('k'));
        $this->assertFalse($c->delete('k'));
        $this->assertNull($c->get('k'));
    }

    public function testKeysAreNamespacedInRedis(): void
    {
        $ns = Support::unique('ns');
        $c = $this->cache(['namespace' => $ns]);
        $c->set('user:1', 'alice');
        $this->assertSame("ns:$ns:user:1", $c->keyFor('user:1'));
        $this->assertSame(1, $this->redis->exists("ns:$ns:user:1"));
        $this->assertGreaterThan(0, $this->redis->ttl("ns:$ns:user:1"));
    }

    public function testSetTtlExpires(): void
    {
        $c = $this->cache(['l1' => false]);
        $c->set('short', 'v', ttl: 1);
        $ttl = $this->redis->ttl($c->keyFor('short'));
        $this->assertSame(1, $ttl);
        $this->assertSame('v', $c->get('short'));
        usleep(2_100_000);
        $this->assertNull($c->get('short'));
    }

    public function testL1EntryExpiresToo(): void
    {
        $c = $this->cache();
        // L1 keeps an entry for its TTL minus one second (cachekit-py's rule).
        $c->set('short', 'v', ttl: 2);
        $this->redis->del($c->keyFor('short'));
        $this->assertSame('v', $c->get('short'), 'served from L1');
        usleep(1_100_000);
        $this->assertNull($c->get('short'));
    }

    public function testDefaultTtlOptionAndPresets(): void
    {
        $c = $this->cache(['ttl' => 42, 'l1' => false]);
        $c->set('k', 1);
        $this->assertSame(42, $this->redis->ttl($c->keyFor('k')));
        $c = $this->cache(['preset' => 'io', 'l1' => false]);
        $c->set('k', 1);
        $this->assertSame(3600, $this->redis->ttl($c->keyFor('k')));
        $c = $this->cache(['preset' => 'minimal', 'l1' => false]);
        $c->set('k', 1);
        $this->assertSame(300, $this->redis->ttl($c->keyFor('k')));
        $c->set('forever', 1, ttl: 'never');
        $this->assertSame(-1, $this->redis->ttl($c->keyFor('forever')));
        $this->assertSame('minimal', $c->health()['preset']);
    }

    public function testInvalidTtlThrowsUsageException(): void
    {
        $c = $this->cache();
        try {
            $c->set('k', 1, ttl: 0);
            $this->fail('expected an exception');
        } catch (\Cachekit\UsageException $e) {
            $this->assertSame(108, $e->getCode());
        }
    }

    public function testRememberComputesOnce(): void
    {
        $c = $this->cache();
        $calls = 0;
        $f = function () use (&$calls) {
            $calls++;
            return ['n' => 42];
        };
        $this->assertSame(['n' => 42], $c->remember('r', 60, $f));
        $this->assertSame(['n' => 42], $c->remember('r', 60, $f));
        $this->assertSame(1, $calls);
        // A second cache (new request) with L1 off reads it from Redis.
        $c2 = new Cache($this->redis, ['namespace' => $c->health()['namespace'], 'l1' => false]);
        $this->assertSame(['n' => 42], $c2->remember('r', 60, $f));
        $this->assertSame(1, $calls);
        $this->assertSame(0, $this->redis->exists($c->keyFor('r') . ':lock'), 'fill lock released');
    }

    public function testRememberRethrowsTheComputationsException(): void
    {
        $c = $this->cache();
        try {
            $c->remember('boom', 60, function () {
                throw new \DomainException('no');
            });
            $this->fail('expected an exception');
        } catch (\DomainException $e) {
            $this->assertSame('no', $e->getMessage());
        }
        $this->assertSame(0, $this->redis->exists($c->keyFor('boom')));
        $this->assertSame(0, $this->redis->exists($c->keyFor('boom') . ':lock'));
        $this->assertSame(7, $c->remember('boom', 60, fn() => 7));
    }

    public function testReentrantRememberOfTheSameKeyComputesDirectly(): void
    {
        foreach ([[], ['lock' => false], ['follower_wait_ms' => 100]] as $opts) {
            $c = $this->cache($opts);
            $t = microtime(true);
            $v = $c->remember('k', 60, fn() => 'outer:' . $c->remember('k', 60, fn() => 'inner'));
            $this->assertSame('outer:inner', $v, json_encode($opts));
            $this->assertLessThan(1.0, microtime(true) - $t, 'no wait on its own flight or lock: ' . json_encode($opts));
            $this->assertSame('outer:inner', $c->get('k'), 'the outer value is the one cached');
            $ns = 'reent' . bin2hex(random_bytes(3));
            $t = microtime(true);
            $v = $c->interop($ns, 'op', [1], fn() => 'o:' . $c->interop($ns, 'op', [1], fn() => 'i'));
            $this->assertSame('o:i', $v);
            $this->assertLessThan(1.0, microtime(true) - $t, 'interop: no wait on itself');
        }
        // Afterwards the key is an ordinary key again: a new computation is single-flighted.
        $c = $this->cache();
        $this->assertSame(1, $c->remember('x', 60, fn() => 1));
        $this->assertSame(1, $c->remember('x', 60, fn() => 2));
    }

    public function testRememberReturnsUncacheableValuesWithoutCaching(): void
    {
        $c = $this->cache();
        $o = new \stdClass();
        $this->assertSame($o, $c->remember('obj', 60, fn() => $o));
        $this->assertSame(0, $this->redis->exists($c->keyFor('obj')));
        $this->assertStringContainsString('unsupported_type', $c->metrics());
    }

    public function testTagSetOutlivesEveryMember(): void
    {
        $c = $this->cache();
        $tag = Support::unique('tag');
        $c->set('long', 1, ttl: 3600, tags: [$tag]);
        $c->set('short', 2, ttl: 5, tags: [$tag]);
        $ttl = Support::redis()->ttl('cachekit:tag:' . $tag);
        $this->assertGreaterThan(3600, $ttl, 'a short-lived entry does not cut the index short');
        $c->set('forever', 3, ttl: 'never', tags: [$tag]);
        $this->assertGreaterThan(50 * 365 * 86400, Support::redis()->ttl('cachekit:tag:' . $tag));
        $this->assertSame(3, $c->invalidate(tags: [$tag]));
        $this->assertNull($c->get('long'));
    }

    public function testTagsInvalidation(): void
    {
        $c = $this->cache();
        $tag = Support::unique('tag');
        $c->set('a', 1, tags: [$tag]);
        $c->set('b', 2, tags: [$tag, 'other' . $tag]);
        $c->set('c', 3);
        $this->assertSame(2, $c->invalidate(tags: [$tag])); // a and b (the tag set is an index, not counted)
        $this->assertNull($c->get('a'));
        $this->assertNull($c->get('b'));
        $this->assertSame(3, $c->get('c'));
    }

    public function testNamespaceAndKeyInvalidation(): void
    {
        $ns = Support::unique('ns');
        $c = $this->cache(['namespace' => $ns]);
        $other = $this->cache();
        $c->set('a', 1);
        $c->set('b', 2);
        $other->set('a', 9);
        $this->assertSame(1, $c->invalidate(key: 'a'));
        $this->assertNull($c->get('a'));
        $this->assertSame(1, $c->invalidate(namespace: $ns));
        $this->assertNull($c->get('b'));
        $this->assertSame(9, $other->get('a'));
        $this->expectException(\Cachekit\UsageException::class);
        $c->invalidate();
    }

    public function testInteropEntriesAndInvalidation(): void
    {
        $c = $this->cache();
        $ns = 'php' . bin2hex(random_bytes(3));
        $calls = 0;
        $f = function () use (&$calls) {
            $calls++;
            return ['id' => 7, 'name' => 'ann'];
        };
        $this->assertSame(['id' => 7, 'name' => 'ann'], $c->interop($ns, 'get_user', [7], $f, 60));
        $this->assertSame(['id' => 7, 'name' => 'ann'], $c->interop($ns, 'get_user', [7], $f, 60));
        $this->assertSame(1, $calls);
        $keys = $this->redis->keys("$ns:get_user:*");
        $this->assertCount(1, $keys);
        $this->assertSame(\Cachekit\Protocol::interopKey($ns, 'get_user', [7]), $keys[0]);
        $this->assertSame(1, $c->invalidate(interop_namespace: $ns));
        $this->expectException(\Cachekit\UsageException::class);
        $c->interop('Bad Namespace', 'op', [], fn() => 1);
    }

    public function testInteropRefusesArgumentsInteropKeyRefuses(): void
    {
        $c = $this->cache();
        $ns = 'args' . bin2hex(random_bytes(3));
        $bad = [
            'associative' => ['id' => 1],
            'not an array' => 'scalar',
            'object' => [new \stdClass()],
            'int beyond 2^64' => [new \Cachekit\BigInt('18446744073709551616')],
        ];
        foreach ($bad as $what => $args) {
            $expected = null;
            try {
                \Cachekit\Protocol::interopKey($ns, 'op', $args);
            } catch (\Cachekit\Exception $e) {
                $expected = $e;
            }
            $this->assertNotNull($expected, "Protocol::interopKey refuses $what");
            $calls = 0;
            try {
                $c->interop($ns, 'op', $args, function () use (&$calls) {
                    $calls++;
                    return 1;
                });
                $this->fail("interop must refuse $what");
            } catch (\Cachekit\Exception $e) {
                $this->assertSame(get_class($expected), get_class($e), $what);
                $this->assertSame($expected->getMessage(), $e->getMessage(), $what);
                $this->assertSame($expected->getCode(), $e->getCode(), $what);
            }
            $this->assertSame(0, $calls, "$what: the computation does not run");
        }
        $this->assertSame([], $this->redis->keys("$ns:*"));
        // Lists (empty included) are fine.
        $this->assertSame(1, $c->interop($ns, 'op', [], fn() => 1));
        $this->assertSame(2, $c->interop($ns, 'op', [['id' => 1]], fn() => 2));
        $this->assertSame(3, $c->interop($ns, 'op', [['org' => 1]], fn() => 3), 'map args keep their keys');
    }

    public function testNamespaceInvalidationReachesEveryMaster(): void
    {
        $ns = Support::unique('spread');
        $c = $this->cache(['namespace' => $ns, 'l1' => false]);
        for ($i = 0; $i < 60; $i++) {
            $this->assertTrue($c->set("k$i", $i, 60));
        }
        $seeds = Support::clusterSeeds();
        if ($seeds !== null) {
            // The keys really are spread over the masters: invalidation must SCAN each one.
            $holding = 0;
            foreach ($seeds as $seed) {
                [$host, $port] = explode(':', $seed);
                $r = new \Redis();
                $r->connect($host, (int) $port, 1.0);
                $holding += count($r->keys("ns:$ns:*")) > 0 ? 1 : 0;
            }
            $this->assertSame(count($seeds), $holding, 'every master holds some of the keys');
        }
        $this->assertSame(60, $c->invalidate(namespace: $ns));
        for ($i = 0; $i < 60; $i++) {
            $this->assertFalse($c->has("k$i"));
        }
    }

    public function testAdaptiveTimeoutBoundsEachCommand(): void
    {
        // A server that accepts and never answers: phpredis alone would wait 2 s (connect
        // timeout); the engine's adaptive timeout (max 150 ms here) cuts each command short.
        $srv = stream_socket_server('tcp://127.0.0.1:0');
        $name = (string) stream_socket_get_name($srv, false);
        $r = new \Redis();
        $r->connect('127.0.0.1', (int) substr($name, strrpos($name, ':') + 1), 2.0);
        $before = $r->getOption(\Redis::OPT_READ_TIMEOUT);
        $c = new Cache($r, ['namespace' => Support::unique('to'), 'l1' => false, 'lock' => false, 'timeout' => ['min_ms' => 50, 'max_ms' => 150]]);
        $t = microtime(true);
        $this->assertSame('dflt', @$c->get('k', 'dflt'));
        $this->assertLessThan(1.0, microtime(true) - $t, 'the read timed out at the adaptive timeout');
        // The user's read timeout is restored (0, "not set", as the effective default_socket_timeout).
        $this->assertContains($r->getOption(\Redis::OPT_READ_TIMEOUT), [$before, (float) ini_get('default_socket_timeout')]);
        $this->assertStringContainsString('cachekit_errors_total{kind="timeout"} 1', $c->metrics());
        fclose($srv);
    }

    public function testUserReadTimeoutIsRestoredExactly(): void
    {
        Support::skipInClusterMode($this);
        foreach ([-1.0, 2.5, 0.25] as $t) {
            $r = Support::redis();
            $r->setOption(\Redis::OPT_READ_TIMEOUT, $t);
            $c = new Cache($r, ['namespace' => Support::unique('rto'), 'timeout' => ['min_ms' => 50, 'max_ms' => 150]]);
            $this->assertTrue($c->set('k', 1));
            $this->assertSame(1, $c->remember('r', 60, fn() => 1));
            $this->assertSame($t, $r->getOption(\Redis::OPT_READ_TIMEOUT), "read timeout $t kept");
        }
    }

    public function testStampedeOf50ProcessesComputesOnce(): void
    {
        $php = getenv('CACHEKIT_PHP');
        if ($php === false || $php === '') {
            $this->markTestSkipped('CACHEKIT_PHP (the php command line with the extension) is set by test.sh');
        }
        $key = Support::unique('cold');
        $counter = Support::unique('stampede-count');
        $start = microtime(true) + 1.5; // every process is up and connected before it
        $procs = [];
        $outs = [];
        for ($i = 0; $i < 50; $i++) {
            $cmd = $php . ' ' . escapeshellarg(__DIR__ . '/fixtures/stampede_worker.php') . ' ' . escapeshellarg((string) $start) . ' ' . escapeshellarg($key) . ' ' . escapeshellarg($counter);
            $procs[] = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
            $outs[] = $pipes;
        }
        $values = [];
        foreach ($procs as $i => $p) {
            $out = stream_get_contents($outs[$i][1]);
            $err = stream_get_contents($outs[$i][2]);
            $this->assertSame(0, proc_close($p), "worker $i: $err");
            $values[] = trim((string) $out);
        }
        $this->assertSame('1', (string) $this->redis->get($counter), '50 processes on one cold key compute once');
        $this->assertCount(1, array_unique($values), 'every process got the one computed value');
        $this->assertStringContainsString('computed_by', $values[0]);
        $this->redis->del($counter);
    }

    public function testL1SurvivesAcrossRequestsOfOneProcess(): void
    {
        $ns = Support::unique('l1');
        $opts = ['namespace' => $ns, 'l1' => 1 << 20];
        // request 1
        $c = new Cache($this->redis, $opts);
        $c->set('k', 'v');
        unset($c);
        $this->redis->del("ns:$ns:k");
        // request 2: a new Cache object with the same options reuses the process's engine
        $c = new Cache(Support::redis(), $opts);
        $this->assertSame('v', $c->get('k'));
        $this->assertGreaterThanOrEqual(1, $c->health()['l1']['hits']);
        $this->assertSame(1 << 20, $c->health()['l1']['budget']);
        // l1 => false: straight to Redis
        $off = new Cache($this->redis, ['namespace' => $ns, 'l1' => false]);
        $this->assertNull($off->get('k'));
        $this->assertNull($off->health()['l1']);
    }

    public function testL1OnlyWithoutRedis(): void
    {
        $c = new Cache(null, ['namespace' => Support::unique('mem')]);
        $this->assertFalse($c->set('k', [1, 2]));
        $this->assertSame([1, 2], $c->get('k'));
        $this->assertSame(5, $c->remember('r', 10, fn() => 5));
        $this->assertSame('none', $c->health()['redis']);
    }

    public function testEncryptionWithKeyRotation(): void
    {
        $k1 = str_repeat('11', 32);
        $k2 = str_repeat('22', 32);
        $ns = Support::unique('enc');
        $a = new Cache($this->redis, ['namespace' => $ns, 'l1' => false, 'encryption' => ['master_key' => $k1, 'tenant' => 't1']]);
        $a->set('secret', 'plaintext-needle');
        $raw = $this->redis->get("ns:$ns:secret");
        $this->assertIsString($raw);
        $this->assertStringNotContainsString('plaintext-needle', $raw);
        $this->assertTrue($a->health()['encrypted']);
        // rotated: new current key, the old one decrypts
        $b = new Cache($this->redis, ['namespace' => $ns, 'l1' => false, 'encryption' => ['master_key' => $k2, 'previous_keys' => [$k1], 'tenant' => 't1']]);
        $this->assertSame('plaintext-needle', $b->get('secret'));
        // only the new key: a miss (counted), never an exception
        $c = new Cache($this->redis, ['namespace' => $ns, 'l1' => false, 'delete_unreadable' => false, 'encryption' => ['master_key' => $k2, 'tenant' => 't1']]);
        $this->assertNull($c->get('secret'));
        $this->assertStringContainsString('decryption_failed', $c->metrics());
        // wrong tenant: a miss too
        $d = new Cache($this->redis, ['namespace' => $ns, 'l1' => false, 'delete_unreadable' => false, 'fail_closed' => true, 'encryption' => ['master_key' => $k1, 'tenant' => 'other']]);
        try {
            $d->get('secret');
            $this->fail('fail_closed should throw');
        } catch (\Cachekit\CryptoException $e) {
            $this->assertSame(303, $e->getCode());
        }
        // raw 32-byte keys work as well
        $e = new Cache($this->redis, ['namespace' => $ns, 'l1' => false, 'encryption' => ['master_key' => hex2bin($k1), 'tenant' => 't1']]);
        $this->assertSame('plaintext-needle', $e->get('secret'));
    }

    public function testEncryptionFromEnvironmentAndSecurePreset(): void
    {
        putenv('CACHEKIT_MASTER_KEY');
        try {
            new Cache($this->redis, ['preset' => 'secure']);
            $this->fail('secure without a key must throw');
        } catch (\Cachekit\CryptoException $e) {
            $this->assertSame(307, $e->getCode());
        }
        putenv('CACHEKIT_MASTER_KEY=' . str_repeat('ab', 32));
        try {
            $c = new Cache($this->redis, ['preset' => 'secure', 'namespace' => Support::unique('sec')]);
            $this->assertTrue($c->health()['encrypted']);
            $c->set('k', 'v');
            $this->assertSame('v', $c->get('k'));
            $this->assertTrue((new Cache($this->redis, ['encryption' => true]))->health()['encrypted']);
        } finally {
            putenv('CACHEKIT_MASTER_KEY');
        }
    }

    public function testIntegrityOptionChangesTheKeyFamily(): void
    {
        $c = $this->cache(['integrity' => false, 'l1' => false]);
        $c->set('k', 'v');
        $this->assertSame('v', $c->get('k'));
    }

    public function testBadOptionsThrow(): void
    {
        foreach ([['nope' => 1], ['preset' => 'fast'], ['l1' => 'big'], ['breaker' => ['x' => 1]], ['encryption' => ['master_key' => 'short']]] as $bad) {
            try {
                new Cache($this->redis, $bad);
                $this->fail('expected an exception for ' . json_encode($bad));
            } catch (\Cachekit\Exception $e) {
                $this->assertGreaterThanOrEqual(100, $e->getCode());
            }
        }
        $this->expectException(\Cachekit\UsageException::class);
        new Cache(new \stdClass());
    }

    public function testClientOptionsThatChangeWhatReachesRedisAreRefused(): void
    {
        $class = Support::clusterSeeds() === null ? 'Redis' : 'RedisCluster';
        $cases = [
            [\Redis::OPT_PREFIX, 'app1:', 'OPT_PREFIX', ''],
            [\Redis::OPT_SERIALIZER, \Redis::SERIALIZER_PHP, 'OPT_SERIALIZER', \Redis::SERIALIZER_NONE],
            [\Redis::OPT_SERIALIZER, \Redis::SERIALIZER_JSON, 'OPT_SERIALIZER', \Redis::SERIALIZER_NONE],
            [\Redis::OPT_COMPRESSION, \Redis::COMPRESSION_LZF, 'OPT_COMPRESSION', \Redis::COMPRESSION_NONE],
        ];
        if (defined('Redis::SERIALIZER_IGBINARY')) {
            $cases[] = [\Redis::OPT_SERIALIZER, \Redis::SERIALIZER_IGBINARY, 'OPT_SERIALIZER', \Redis::SERIALIZER_NONE];
        }
        foreach ($cases as [$opt, $value, $name, $neutral]) {
            $r = Support::redis();
            $this->assertTrue($r->setOption($opt, $value));
            try {
                new Cache($r, ['namespace' => Support::unique('opt')]);
                $this->fail("$name must be refused");
            } catch (\Cachekit\UsageException $e) {
                $this->assertSame(100, $e->getCode());
                $this->assertStringContainsString("$class::$name", $e->getMessage());
                $this->assertStringContainsString('setOption', $e->getMessage());
            }
            $r->setOption($opt, $neutral);
            $c = new Cache($r, ['namespace' => Support::unique('opt'), 'l1' => false]);
            $this->assertTrue($c->set('k', ['x' => 1]));
            $this->assertSame(['x' => 1], $c->get('k'));
        }
    }

    public function testKeyArgumentsFollowPhpStringParameterRules(): void
    {
        $c = $this->cache(['l1' => false]);
        $ns = $c->health()['namespace'];
        // Weak mode (a file without strict_types): ints and floats convert as strval() does.
        require_once __DIR__ . '/fixtures/weak_calls.php';
        $this->assertSame(['int key', 'int key', true, "ns:$ns:1.5", "ns:$ns:1.0E+25", 'r', 1], weak_calls($c));
        // Strict mode (this file) and values no mode converts: PHP's standard TypeError.
        $calls = [
            ['get', fn() => $c->get(123), 'Argument #1 ($key) must be of type string, int given'],
            ['keyFor', fn() => $c->keyFor(1.5), 'Argument #1 ($key) must be of type string, float given'],
            ['delete', fn() => $c->delete([]), 'Argument #1 ($key) must be of type string, array given'],
            ['set', fn() => $c->set('k', 1, tags: [1]), 'Argument #4 ($tags) must contain only strings, int given'],
            ['invalidate', fn() => $c->invalidate(namespace: 5), 'Argument #1 ($namespace) must be of type string, int given'],
            ['remember', fn() => $c->remember(new \stdClass(), 1, fn() => 1), 'Argument #1 ($key) must be of type string, stdClass given'],
        ];
        foreach ($calls as [$m, $f, $msg]) {
            try {
                $f();
                $this->fail("$m must throw");
            } catch (\TypeError $e) {
                $this->assertSame("Cachekit\\Cache::$m(): $msg", $e->getMessage());
            }
        }
        // Keys are text in the core and every SDK: bytes that are not UTF-8 are refused.
        foreach ([fn() => $c->get("\xff\x00"), fn() => $c->set('k', 1, tags: ["\xfe"]), fn() => $c->invalidate(namespace: "\xff"), fn() => $c->keyFor("a\xc3")] as $f) {
            try {
                $f();
                $this->fail('non-UTF-8 must throw');
            } catch (\Cachekit\UsageException $e) {
                $this->assertSame(105, $e->getCode());
                $this->assertStringContainsString('must be UTF-8 text', $e->getMessage());
            }
        }
        $this->assertSame("ns:$ns:héllo", $c->keyFor('héllo'));
    }

    public function testErrorMessagesNameTheProblem(): void
    {
        $cases = [
            [fn() => new Cache(null, ['ttl_refresh' => ['thresold' => 0.5]]), \Cachekit\UsageException::class, 'unknown ttl_refresh option "thresold" (expected one of: threshold)'],
            [fn() => new Cache(null, ['early_refresh' => ['b' => 1]]), \Cachekit\UsageException::class, 'unknown early_refresh option "b"'],
            [fn() => new Cache(null, ['breaker' => ['x' => 1]]), \Cachekit\UsageException::class, 'unknown breaker option "x"'],
            [fn() => new Cache(null, ['encryption' => ['master_key' => 12345]]), \Cachekit\CryptoException::class, 'a master key must be a string of 64 hex digits or 32 bytes, got int'],
            [fn() => new Cache(new \Redis()), \Cachekit\UsageException::class, 'the \\Redis client is not connected: call connect() or pconnect()'],
            [fn() => (new Cache(null))->set('u', new \Cachekit\Uuid('550e8400-e29b-41d4-a716-446655440000')), \Cachekit\UnsupportedTypeException::class, 'a uuid has no StandardSerializer form'],
        ];
        foreach ($cases as [$f, $class, $msg]) {
            try {
                $f();
                $this->fail("expected $class: $msg");
            } catch (\Cachekit\Exception $e) {
                $this->assertInstanceOf($class, $e);
                $this->assertStringContainsString($msg, $e->getMessage());
            }
        }
    }

    public function testLockOptionAndEarlyRefresh(): void
    {
        $c = $this->cache(['lock' => false, 'early_refresh' => ['beta' => 1.0], 'ttl_refresh' => true, 'stale_while_revalidate' => 5]);
        $this->assertSame(1, $c->remember('k', 60, fn() => 1));
        $this->assertSame(65, $this->redis->ttl($c->keyFor('k')));
        $c = $this->cache(['lock' => ['lease_ms' => 1000, 'retry_ms' => 10, 'wait_ms' => 100]]);
        $this->assertSame(2, $c->remember('k', 60, fn() => 2));
    }

    public function testMetricsAndHealth(): void
    {
        $c = $this->cache();
        $c->set('k', 1);
        $c->get('k');
        $m = $c->metrics();
        $this->assertStringContainsString('# TYPE cachekit_hits_total counter', $m);
        $h = $c->health();
        $this->assertSame('closed', $h['breaker']['state']);
        $this->assertSame(Support::clusterSeeds() === null ? 'phpredis' : 'phpredis-cluster', $h['redis']);
        $this->assertArrayHasKey('latency', $h);
        $this->assertFalse($h['encrypted']);
    }

    public function testBreakerOpensWhenRedisStopsAndClosesAfterRestart(): void
    {
        Support::skipInClusterMode($this);
        $port = Support::freePort();
        $pid = Support::startRedis($port);
        $r = Support::redis($port);
        $c = new Cache($r, ['namespace' => 'brk', 'l1' => false, 'lock' => false,
            'breaker' => ['failure_threshold' => 2, 'open_duration_ms' => 300, 'half_open_probes' => 1, 'success_threshold' => 1]]);
        $this->assertSame(1, $c->remember('k', 60, fn() => 1));
        Support::stopRedis($pid);
        $n = 0;
        for ($i = 0; $i < 5; $i++) {
            // remember keeps answering; the failures are counted, never thrown
            $this->assertSame(2, @$c->remember('k2', 60, function () use (&$n) { $n++; return 2; }));
        }
        $this->assertSame(5, $n);
        $this->assertSame('open', $c->health()['breaker']['state']);
        $this->assertNull($c->get('k'), 'get is a miss while Redis is down');
        $this->assertStringContainsString('circuit_open', $c->metrics());
        try {
            $c->delete('k');
            $this->fail('delete without Redis throws');
        } catch (\Cachekit\BackendException $e) {
            $this->assertContains($e->getCode(), [400, 403]);
        }
        $pid = Support::startRedis($port);
        try {
            // phpredis reconnects lazily: the first probe may still fail on the old socket.
            for ($i = 0; $i < 30 && $c->health()['breaker']['state'] !== 'closed'; $i++) {
                usleep(100_000);
                $this->assertSame(3, @$c->remember('k3', 60, fn() => 3));
            }
            $this->assertSame('closed', $c->health()['breaker']['state']);
            $this->assertGreaterThanOrEqual(1, $c->health()['breaker']['opened']);
            $this->assertSame(3, $c->remember('k3', 60, fn() => 4));
        } finally {
            Support::stopRedis($pid);
        }
    }
}
