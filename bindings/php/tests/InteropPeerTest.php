<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use Cachekit\Cache;
use Cachekit\Protocol;
use PHPUnit\Framework\TestCase;

/**
 * Live cross-language interop: PHP writes interop/v1 entries that the real cachekit-py SDK
 * (tests/interop/peer) reads, and reads what the SDK writes, plaintext and encrypted, on the
 * suite's Redis (in the cluster pass, on the master owning the key's slot). Plaintext documents are byte-identical whoever writes them.
 */
final class InteropPeerTest extends TestCase
{
    private const MASTER_KEY = '6b1f0e3a5c7d9e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f';

    private static ?string $peer = null;

    public static function setUpBeforeClass(): void
    {
        $peer = realpath(__DIR__ . '/../../../tests/interop/peer');
        if ($peer === false) {
            return;
        }
        // Makes sure the venv with the pinned cachekit-py exists (built once, needs PyPI once).
        exec(escapeshellarg($peer) . ' --setup-only 2>&1', $out, $rc);
        if ($rc === 0) {
            self::$peer = $peer;
        }
    }

    protected function setUp(): void
    {
        if (self::$peer === null) {
            $this->markTestSkipped('tests/interop/peer cannot set up its cachekit-py venv (no python3.11 or no PyPI)');
        }
    }

    /** Runs the peer; returns its one JSON line, decoded. */
    private static function peer(string $cmd, string $ns, string $op, array $args, ?array $value = null, bool $encrypted = false): array
    {
        $argv = [self::$peer, $cmd, '--redis', Support::urlFor(Protocol::interopKey($ns, $op, $args)), '--namespace', $ns, '--operation', $op, '--args', json_encode($args)];
        if ($value !== null) {
            $argv[] = '--value';
            $argv[] = json_encode(self::tag($value), JSON_PRESERVE_ZERO_FRACTION);
        }
        if ($encrypted) {
            $argv[] = '--master-key';
            $argv[] = self::MASTER_KEY;
        }
        $line = exec(implode(' ', array_map('escapeshellarg', $argv)) . ' 2>/dev/null', $out, $rc);
        self::assertContains($rc, [0, 1], "peer $cmd exited $rc");
        $doc = json_decode((string) $line, true, 512, JSON_THROW_ON_ERROR);
        self::assertIsArray($doc);
        return $doc;
    }

    /** PHP value → the peers' tagged JSON (floats as `$float`, so 2.0 stays a float; big ints as `$int`). */
    public static function tag(mixed $v): mixed
    {
        if (is_float($v)) {
            return ['$float' => var_export($v, true)];
        }
        if (is_int($v) && abs($v) > 9007199254740991) {
            return ['$int' => (string) $v]; // beyond JavaScript's safe integers
        }
        if (is_array($v)) {
            return array_is_list($v) ? array_map([self::class, 'tag'], $v) : (object) array_map([self::class, 'tag'], $v);
        }
        return $v;
    }

    /** The peer's tagged JSON → PHP values. */
    public static function untag(mixed $v): mixed
    {
        if (!is_array($v)) {
            return $v;
        }
        if (count($v) === 1 && is_string(array_key_first($v)) && str_starts_with((string) array_key_first($v), '$')) {
            $t = (string) array_key_first($v);
            return match ($t) {
                '$float' => (float) $v[$t],
                '$int' => (int) $v[$t],
                '$bytes' => (string) hex2bin($v[$t]),
                default => $v,
            };
        }
        return array_map([self::class, 'untag'], $v);
    }

    public static function value(): array
    {
        return ['name' => 'alice', 'age' => 30, 'score' => 2.5, 'ratio' => 2.0, 'tags' => ['a', 'b'], 'active' => true, 'note' => null, 'city' => 'Zürich', 'big' => PHP_INT_MAX, 'neg' => -7];
    }

    private static function cache(bool $encrypted): Cache
    {
        $o = ['l1' => false, 'ttl' => 300];
        if ($encrypted) {
            $o['encryption'] = ['master_key' => self::MASTER_KEY];
        }
        return new Cache(Support::redis(), $o);
    }

    public function testPlaintextPhpWritesPythonReadsByteIdentical(): void
    {
        $ns = Support::unique('pyint');
        $value = self::value();
        $c = self::cache(false);
        $this->assertSame($value, $c->interop($ns, 'get_user', [42], fn () => $value));
        $key = Protocol::interopKey($ns, 'get_user', [42]);
        $phpBytes = Support::redis()->get($key);
        $this->assertSame(Protocol::canonicalValue($value), $phpBytes);

        $read = self::peer('read', $ns, 'get_user', [42]);
        $this->assertTrue($read['hit'], $read['error'] ?? '');
        $this->assertEquals($value, self::untag($read['value']));

        // The SDK writing the same call stores the very same bytes.
        $written = self::peer('write', $ns, 'get_user', [42], $value);
        $this->assertSame($key, $written['key'] ?? null, $written['error'] ?? '');
        $this->assertSame(bin2hex($phpBytes), $written['stored_hex']);
    }

    public function testPlaintextPythonWritesPhpReads(): void
    {
        $ns = Support::unique('pyint');
        $value = self::value();
        $written = self::peer('write', $ns, 'get_user', [43, 'x'], $value);
        $this->assertArrayHasKey('key', $written, $written['error'] ?? '');
        $this->assertSame(Protocol::interopKey($ns, 'get_user', [43, 'x']), $written['key']);
        $this->assertSame(bin2hex(Protocol::canonicalValue($value)), $written['stored_hex']);
        $got = self::cache(false)->interop($ns, 'get_user', [43, 'x'], function () {
            throw new \LogicException('must be a hit');
        });
        $this->assertEquals($value, $got);
    }

    public function testEncryptedPhpWritesPythonReads(): void
    {
        $ns = Support::unique('pyenc');
        $value = self::value();
        $c = self::cache(true);
        $this->assertSame($value, $c->interop($ns, 'get_user', [7], fn () => $value));
        $stored = Support::redis()->get(Protocol::interopKey($ns, 'get_user', [7]));
        $this->assertIsString($stored);
        $this->assertStringNotContainsString('alice', $stored);

        $read = self::peer('read', $ns, 'get_user', [7], null, true);
        $this->assertTrue($read['hit'], $read['error'] ?? '');
        $this->assertEquals($value, self::untag($read['value']));
        // Without the key the SDK cannot read it.
        $this->assertFalse(self::peer('read', $ns, 'get_user', [7])['hit']);
    }

    public function testEncryptedPythonWritesPhpReads(): void
    {
        $ns = Support::unique('pyenc');
        $value = self::value();
        $written = self::peer('write', $ns, 'get_user', [8], $value, true);
        $this->assertArrayHasKey('key', $written, $written['error'] ?? '');
        $this->assertStringNotContainsString(bin2hex('alice'), $written['stored_hex']);
        $got = self::cache(true)->interop($ns, 'get_user', [8], function () {
            throw new \LogicException('must be a hit');
        });
        $this->assertEquals($value, $got);
        // A plaintext reader refuses it: computes instead.
        $this->assertSame('computed', self::cache(false)->interop($ns, 'get_user', [8], fn () => 'computed'));
    }
}
