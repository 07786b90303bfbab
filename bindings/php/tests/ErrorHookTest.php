<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use Cachekit\Cache;
use PHPUnit\Framework\TestCase;

/**
 * The `on_error` and `logger` options: every failure the cache absorbs (a miss or an uncached
 * value for the caller) reaches them with its exception and where it happened.
 */
final class ErrorHookTest extends TestCase
{
    /** A cache whose on_error hook appends [exception, context] to $seen. */
    private function recording(array &$seen, array $options = []): Cache
    {
        $options += ['namespace' => Support::unique('hook'), 'l1' => false];
        $options['on_error'] = function (\Cachekit\Exception $e, array $context) use (&$seen): void {
            $seen[] = [$e, $context];
        };
        return new Cache(Support::redis(), $options);
    }

    public function testAnUnreadableEntryIsAMissAndIsReported(): void
    {
        $seen = [];
        $c = $this->recording($seen);
        $key = $c->keyFor('k');
        Support::redis()->set($key, 'not a cachekit entry');
        $this->assertNull($c->get('k'));
        $line = __LINE__ - 1;
        $this->assertCount(1, $seen);
        [$e, $context] = $seen[0];
        $this->assertInstanceOf(\Cachekit\DecodeException::class, $e);
        $this->assertSame([__FILE__, $line], [$e->getFile(), $e->getLine()], 'made where the cache was called');
        $this->assertGreaterThanOrEqual(200, $e->getCode());
        $this->assertLessThan(300, $e->getCode());
        $this->assertSame(['operation' => 'get', 'key' => $key, 'command' => null], $context);
        $this->assertSame(0, Support::redis()->exists($key), 'deleted (delete_unreadable)');
    }

    public function testRememberReportsUnreadableEntriesAndUncacheableValues(): void
    {
        $seen = [];
        $c = $this->recording($seen);
        Support::redis()->set($c->keyFor('k'), "\x00\x01garbage");
        $this->assertSame(5, $c->remember('k', 60, fn() => 5), 'an unreadable entry is a miss');
        $this->assertSame('remember', $seen[0][1]['operation']);
        $this->assertInstanceOf(\Cachekit\DecodeException::class, $seen[0][0]);

        $seen = [];
        $f = fopen('php://memory', 'r');
        $this->assertSame($f, $c->remember('res', 60, fn() => $f), 'the value is still returned');
        $this->assertCount(1, $seen);
        $this->assertInstanceOf(\Cachekit\UnsupportedTypeException::class, $seen[0][0]);
        $this->assertStringContainsString('resource', $seen[0][0]->getMessage());
        $this->assertSame(['operation' => 'remember', 'key' => $c->keyFor('res'), 'command' => null], $seen[0][1]);
    }

    public function testAPsr3LoggerGetsAWarningWithTheException(): void
    {
        $logger = new class {
            public array $lines = [];
            public function warning(string|\Stringable $message, array $context = []): void
            {
                $this->lines[] = [(string) $message, $context];
            }
        };
        $c = new Cache(Support::redis(), ['namespace' => Support::unique('log'), 'l1' => false, 'logger' => $logger]);
        $key = $c->keyFor('k');
        Support::redis()->set($key, 'not a cachekit entry');
        $this->assertNull($c->get('k'));
        $this->assertCount(1, $logger->lines);
        [$message, $context] = $logger->lines[0];
        $this->assertStringStartsWith("cachekit: get $key: ", $message);
        $this->assertInstanceOf(\Cachekit\DecodeException::class, $context['exception']);
        $this->assertStringContainsString($context['exception']->getMessage(), $message);
        $this->assertSame('get', $context['operation']);
    }

    public function testAThrowingHookDoesNotBreakTheCall(): void
    {
        $calls = 0;
        $c = new Cache(Support::redis(), ['namespace' => Support::unique('throw'), 'l1' => false,
            'on_error' => function () use (&$calls): void {
                $calls++;
                throw new \RuntimeException('the logger is down');
            }]);
        Support::redis()->set($c->keyFor('k'), 'garbage');
        $this->assertSame('v', $c->remember('k', 60, fn() => 'v'));
        $this->assertSame(1, $calls, 'the unreadable entry is purged before the fill lock');
        $this->assertSame('v', $c->get('k'), 'the computed value was stored');
    }

    public function testRedisFailuresAndBreakerRefusalsAreReported(): void
    {
        Support::skipInClusterMode($this);
        $seen = [];
        $c = new Cache(Support::stoppedRedis(), ['namespace' => Support::unique('down'), 'l1' => false, 'lock' => false,
            'breaker' => ['failure_threshold' => 2, 'open_duration_ms' => 60_000],
            'on_error' => function (\Cachekit\Exception $e, array $context) use (&$seen): void {
                $seen[] = [$e, $context];
            }]);
        for ($i = 0; $i < 20; $i++) {
            $this->assertSame($i, @$c->remember('k', 60, fn() => $i));
        }
        $this->assertSame('open', $c->health()['breaker']['state']);
        $backend = array_values(array_filter($seen, fn($s) => $s[1]['command'] !== null));
        $this->assertNotEmpty($backend, 'the failed commands are reported');
        $this->assertInstanceOf(\Cachekit\BackendException::class, $backend[0][0]);
        $this->assertSame('GET', $backend[0][1]['command']);
        $this->assertSame('remember', $backend[0][1]['operation']);
        $this->assertSame($c->keyFor('k'), $backend[0][1]['key']);
        $refusals = array_values(array_filter($seen, fn($s) => str_contains($s[0]->getMessage(), 'circuit_open')));
        $this->assertNotEmpty($refusals, 'the open breaker is reported');
        // 18 calls were refused within a second or so: at most a report a second, not one each.
        $this->assertLessThan(5, count($refusals));
    }

    public function testAHookThatUsesTheCacheIsStoppedByTheBreaker(): void
    {
        Support::skipInClusterMode($this);
        $r = Support::stoppedRedis();
        $depth = 0;
        $c = null;
        $c = new Cache($r, ['namespace' => Support::unique('rec'), 'l1' => false,
            'breaker' => ['failure_threshold' => 3, 'open_duration_ms' => 60_000],
            'on_error' => function () use (&$c, &$depth): void {
                // A hook that reads the cache while Redis is down: each read fails and reports.
                $depth++;
                @$c->get('k');
            }]);
        $this->assertNull(@$c->get('k'));
        // Each failure reached the breaker before the hook ran: it opened after 3, and the
        // refusals after it are rate-limited, so the recursion ends there.
        $this->assertSame('open', $c->health()['breaker']['state']);
        $this->assertLessThanOrEqual(4, $depth);
        $this->assertSame(0, $c->health()['backpressure']['in_flight'], 'every slot was given back');
    }

    public function testRefusalsReachTheHookAfterSilentCachesWereRefused(): void
    {
        Support::skipInClusterMode($this);
        $port = Support::freePort();
        $pid = Support::startRedis($port);
        $r = Support::redis($port);
        $options = ['namespace' => Support::unique('ref'), 'l1' => false,
            'breaker' => ['failure_threshold' => 1, 'open_duration_ms' => 60_000]];
        $seen = [];
        // One engine (same options), two caches: one without a hook, one with.
        $silent = new Cache($r, $options);
        $hooked = new Cache($r, $options + ['on_error' => function (\Cachekit\Exception $e) use (&$seen): void {
            $seen[] = $e->getMessage();
        }]);
        Support::stopRedis($pid);
        for ($i = 0; $i < 5; $i++) {
            @$silent->get('k');
        }
        $this->assertSame('open', $silent->health()['breaker']['state']);
        $this->assertNull($hooked->get('k'));
        $this->assertCount(1, $seen, "the silent cache's refusals did not use up the report");
        $this->assertStringStartsWith('circuit_open: ', $seen[0]);
    }

    public function testPrivateMethodsAndMagicLoggersAreReached(): void
    {
        $service = new class {
            public array $seen = [];
            public Cache $cache;
            public function __construct()
            {
                $this->cache = new Cache(Support::redis(), ['namespace' => Support::unique('priv'), 'l1' => false,
                    'on_error' => [$this, 'onError']]);
            }
            private function onError(\Cachekit\Exception $e, array $context): void
            {
                $this->seen[] = $context['operation'];
            }
        };
        Support::redis()->set($service->cache->keyFor('k'), 'garbage');
        $this->assertNull($service->cache->get('k'), 'called from outside the class');
        $this->assertSame(['get'], $service->seen);

        $logger = new class {
            public array $calls = [];
            public function __call(string $name, array $args): void
            {
                $this->calls[] = [$name, $args[0]];
            }
        };
        $c = new Cache(Support::redis(), ['namespace' => Support::unique('magic'), 'l1' => false, 'logger' => $logger]);
        Support::redis()->set($c->keyFor('k'), 'garbage');
        $this->assertNull($c->get('k'));
        $this->assertCount(1, $logger->calls);
        $this->assertSame('warning', $logger->calls[0][0]);
    }

    public function testFailuresThrownToTheCallerAreNotAlsoReported(): void
    {
        Support::skipInClusterMode($this);
        $r = Support::stoppedRedis();
        $seen = [];
        $c = new Cache($r, ['namespace' => Support::unique('thr'), 'on_error' => function ($e) use (&$seen): void {
            $seen[] = $e->getMessage();
        }]);
        try {
            @$c->delete('k');
            $this->fail('delete without Redis throws');
        } catch (\Cachekit\BackendException $e) {
            $this->assertSame([], $seen, 'thrown, not reported');
        }
        $this->assertNull(@$c->get('k'));
        $this->assertCount(1, $seen, 'a get absorbs the failure: reported');
    }

    public function testHookOptionsAreChecked(): void
    {
        foreach ([
            [['on_error' => 'no_such_function'], 'option on_error must be callable'],
            [['on_error' => 42], 'option on_error must be callable, got int'],
            [['logger' => new \stdClass()], 'option logger must be an object with a warning(string, array) method'],
            [['logger' => 'syslog'], 'option logger must be an object'],
        ] as [$options, $message]) {
            try {
                new Cache(null, $options);
                $this->fail("expected a UsageException: $message");
            } catch (\Cachekit\UsageException $e) {
                $this->assertStringContainsString($message, $e->getMessage());
            }
        }
    }
}
