<?php
declare(strict_types=1);

namespace Cachekit;

use Psr\SimpleCache\CacheInterface;

/**
 * PSR-16 key errors: an empty key, a key with one of `{}()/\@:`, or a non-string key.
 */
final class Psr16InvalidArgumentException extends \InvalidArgumentException implements \Psr\SimpleCache\InvalidArgumentException
{
}

/**
 * A cache-layer failure reported through PSR-16 (`Psr\SimpleCache\CacheException`).
 */
final class Psr16CacheException extends \RuntimeException implements \Psr\SimpleCache\CacheException
{
}

/**
 * PSR-16 (`Psr\SimpleCache\CacheInterface`) on a {@see Cache}, for frameworks.
 *
 * Keys follow PSR-16: non-empty strings without `{}()/\@:`. TTLs: `null` (the cache's
 * default), int seconds or `DateInterval`; a TTL of zero or less deletes the key.
 * `clear()` invalidates the cache's namespace, so it needs one (a cache without a namespace
 * refuses to clear, rather than wiping a shared Redis).
 */
final class Psr16Cache implements CacheInterface
{
    private const RESERVED = '{}()/\\@:';

    public function __construct(private readonly Cache $cache, private readonly ?string $namespace = null)
    {
    }

    /** @param mixed $key */
    private static function key($key): string
    {
        if (!is_string($key)) {
            throw new Psr16InvalidArgumentException('cache keys must be strings, got ' . get_debug_type($key));
        }
        if ($key === '' || strpbrk($key, self::RESERVED) !== false) {
            throw new Psr16InvalidArgumentException("invalid PSR-16 cache key \"$key\" (empty or contains one of " . self::RESERVED . ')');
        }
        return $key;
    }

    /** @return int|null seconds; 0 means "expired already" */
    private static function ttl(mixed $ttl): ?int
    {
        if (!($ttl === null || is_int($ttl) || $ttl instanceof \DateInterval)) {
            throw new Psr16InvalidArgumentException('ttl must be null, an int or a DateInterval');
        }
        if ($ttl === null) {
            return null;
        }
        if ($ttl instanceof \DateInterval) {
            $now = new \DateTimeImmutable();
            $ttl = $now->add($ttl)->getTimestamp() - $now->getTimestamp();
        }
        return max(0, $ttl);
    }

    /** @param iterable<mixed> $keys @return list<string> */
    private static function keys($keys): array
    {
        if (!is_iterable($keys)) {
            throw new Psr16InvalidArgumentException('keys must be iterable, got ' . get_debug_type($keys));
        }
        $out = [];
        foreach ($keys as $k) {
            $out[] = self::key($k);
        }
        return $out;
    }

    public function get($key, $default = null): mixed
    {
        $key = self::key($key);
        $missing = new \stdClass();
        try {
            $v = $this->cache->get($key, $missing);
        } catch (Exception $e) {
            throw new Psr16CacheException($e->getMessage(), $e->getCode(), $e);
        }
        return $v === $missing ? $default : $v;
    }

    public function set($key, $value, $ttl = null): bool
    {
        $key = self::key($key);
        $seconds = self::ttl($ttl);
        if ($seconds === 0) {
            return $this->delete($key) || true;
        }
        try {
            return $this->cache->set($key, $value, ttl: $seconds);
        } catch (UsageException $e) {
            throw new Psr16InvalidArgumentException($e->getMessage(), $e->getCode(), $e);
        }
    }

    public function delete($key): bool
    {
        $key = self::key($key);
        try {
            $this->cache->delete($key);
            return true;
        } catch (BackendException) {
            return false;
        }
    }

    public function clear(): bool
    {
        $ns = $this->namespace ?? ($this->cache->health()['namespace'] ?? null);
        if ($ns === null) {
            return false;
        }
        try {
            $this->cache->invalidate(namespace: $ns);
            return true;
        } catch (BackendException) {
            return false;
        }
    }

    /** @return iterable<string, mixed> */
    public function getMultiple($keys, $default = null): iterable
    {
        $out = [];
        foreach (self::keys($keys) as $k) {
            $out[$k] = $this->get($k, $default);
        }
        return $out;
    }

    /** @param iterable<mixed, mixed> $values */
    public function setMultiple($values, $ttl = null): bool
    {
        if (!is_iterable($values)) {
            throw new Psr16InvalidArgumentException('values must be iterable');
        }
        $ok = true;
        foreach ($values as $k => $v) {
            $ok = $this->set(self::key(is_int($k) ? (string) $k : $k), $v, $ttl) && $ok;
        }
        return $ok;
    }

    public function deleteMultiple($keys): bool
    {
        $ok = true;
        foreach (self::keys($keys) as $k) {
            $ok = $this->delete($k) && $ok;
        }
        return $ok;
    }

    public function has($key): bool
    {
        return $this->cache->has(self::key($key));
    }
}
