<?php
declare(strict_types=1);

namespace Cachekit\Tests;

/** Helpers shared by the tests: Redis connections and throwaway redis-server processes. */
final class Support
{
    public static function port(): int
    {
        $p = getenv('CACHEKIT_TEST_REDIS_PORT');
        if ($p === false || $p === '') {
            throw new \RuntimeException('CACHEKIT_TEST_REDIS_PORT is not set (run bindings/php/test.sh)');
        }
        return (int) $p;
    }

    /** The seeds of the cluster run (`CACHEKIT_TEST_CLUSTER_SEEDS`, host:port,...), or null. */
    public static function clusterSeeds(): ?array
    {
        $s = getenv('CACHEKIT_TEST_CLUSTER_SEEDS');
        return $s === false || $s === '' ? null : explode(',', $s);
    }

    /**
     * The suite's server: a `\RedisCluster` on the 3-master cluster when test.sh runs the suite
     * in cluster mode, else a `\Redis` (always a `\Redis` for an explicit port).
     */
    public static function redis(?int $port = null): \Redis|\RedisCluster
    {
        $seeds = self::clusterSeeds();
        if ($port === null && $seeds !== null) {
            return new \RedisCluster(null, $seeds, 1.0, 1.0);
        }
        $r = new \Redis();
        $r->connect('127.0.0.1', $port ?? self::port(), 1.0);
        return $r;
    }

    /** A unique name per call, so tests never share keys (the engines outlive the tests). */
    public static function unique(string $prefix): string
    {
        return $prefix . bin2hex(random_bytes(4));
    }

    /** Skips a test that needs a single \Redis it can stop and restart. */
    public static function skipInClusterMode(\PHPUnit\Framework\TestCase $t): void
    {
        if (self::clusterSeeds() !== null) {
            $t->markTestSkipped('needs a standalone redis-server it controls (runs in the standalone pass)');
        }
    }

    /**
     * The peer's Redis URL for a key: the suite's server, or in cluster mode the master that
     * owns the key's slot (the peer's redis-py client is not a cluster client).
     */
    public static function urlFor(string $key): string
    {
        $seeds = Support::clusterSeeds();
        if ($seeds === null) {
            return 'redis://127.0.0.1:' . self::port() . '/0';
        }
        [$host, $port] = explode(':', $seeds[0]);
        $r = new \Redis();
        $r->connect($host, (int) $port, 1.0);
        $slot = (int) $r->rawCommand('CLUSTER', 'KEYSLOT', $key);
        foreach ($r->rawCommand('CLUSTER', 'SLOTS') as $range) {
            if ($slot >= (int) $range[0] && $slot <= (int) $range[1]) {
                return "redis://{$range[2][0]}:{$range[2][1]}/0";
            }
        }
        throw new \RuntimeException("no master owns slot $slot");
    }

    public static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($s, false);
        fclose($s);
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    /** Starts a redis-server on $port; returns its pid. */
    public static function startRedis(int $port): int
    {
        $dir = sys_get_temp_dir();
        $pidfile = "$dir/cachekit-php-redis-$port-" . bin2hex(random_bytes(4)) . ".pid";
        @unlink($pidfile);
        exec(sprintf('redis-server --port %d --bind 127.0.0.1 --save "" --appendonly no --dir %s --daemonize yes --pidfile %s', $port, escapeshellarg($dir), escapeshellarg($pidfile)));
        for ($i = 0; $i < 100; $i++) {
            // Redis listens before it writes its pid file, and writes it in two steps: wait for
            // a pid, never return 0 (posix_kill(0, ...) would signal this whole process group).
            $pid = is_file($pidfile) ? (int) trim((string) file_get_contents($pidfile)) : 0;
            if ($pid > 0 && @fsockopen('127.0.0.1', $port)) {
                return $pid;
            }
            usleep(20000);
        }
        throw new \RuntimeException("redis-server did not start on $port");
    }

    /** A \Redis that was connected to a redis-server of its own, which has stopped since. */
    public static function stoppedRedis(): \Redis
    {
        $port = self::freePort();
        $pid = self::startRedis($port);
        $r = self::redis($port);
        self::stopRedis($pid);
        return $r;
    }

    public static function stopRedis(int $pid): void
    {
        if ($pid <= 0) {
            throw new \InvalidArgumentException("not a redis-server pid: $pid");
        }
        posix_kill($pid, 15);
        for ($i = 0; $i < 100 && posix_kill($pid, 0); $i++) {
            usleep(20000);
        }
    }
}
