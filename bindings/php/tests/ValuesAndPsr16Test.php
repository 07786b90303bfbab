<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use Cachekit\Bytes;
use Cachekit\Cache;
use Cachekit\Protocol;
use Cachekit\Psr16Cache;
use PHPUnit\Framework\TestCase;

final class ValuesAndPsr16Test extends TestCase
{
    private function cache(): Cache
    {
        return new Cache(Support::redis(), ['namespace' => Support::unique('v'), 'l1' => false]);
    }

    public function testValueMappingRoundTrips(): void
    {
        $c = $this->cache();
        $cases = [null, true, false, 0, -1, PHP_INT_MAX, PHP_INT_MIN, 1.5, -0.0, '', 'héllo', [], [1, 2], ['a' => ['b' => [null]]], [5 => 'x', 9 => 'y']];
        foreach ($cases as $i => $v) {
            $c->set("k$i", $v);
            $this->assertSame($v, $c->get("k$i", 'MISS'), "case $i");
        }
        $c->set('bin', "\xff\x00\x01");
        $this->assertSame("\xff\x00\x01", $c->get('bin'));
        $c->set('wrapped', new Bytes('text'));
        $this->assertSame('text', $c->get('wrapped'));
        $this->assertSame('c4', bin2hex(substr(Protocol::serialize(new Bytes('text')), 0, 1)), 'bytes, not str');
        $this->assertSame('a4', bin2hex(substr(Protocol::serialize('text'), 0, 1)));
    }

    public function testDateTimeInterfaceMapsToAwareDatetime(): void
    {
        $c = $this->cache();
        $dt = new \DateTimeImmutable('2024-01-15T12:30:00.123456+02:00');
        $c->set('dt', $dt);
        $got = $c->get('dt');
        $this->assertInstanceOf(\DateTimeImmutable::class, $got);
        $this->assertSame($dt->format('Y-m-d\TH:i:s.uP'), $got->format('Y-m-d\TH:i:s.uP'));
        $c->set('d', new \Cachekit\Date('2024-02-29'));
        $this->assertSame('2024-02-29', (string) $c->get('d'));
        // UUIDs exist in interop args only (StandardSerializer has no form for them).
        $this->assertSame(
            Protocol::interopKey('app', 'op', [new \Cachekit\Uuid('550E8400-E29B-41D4-A716-446655440000')]),
            Protocol::interopKey('app', 'op', [new \Cachekit\Uuid('550e8400-e29b-41d4-a716-446655440000')]),
        );
    }

    public function testWrappersAreImmutableAndCheckTheirTextWhenMade(): void
    {
        foreach ([
            [fn() => \Cachekit\Protocol::serialize(new \Cachekit\BigInt('18446744073709551616')), 'integer_out_of_range'],
            [fn() => new \Cachekit\BigInt('12abc'), 'integer_out_of_range'],
            [fn() => new \Cachekit\Uuid('550e8400-e29b-41d4-a716'), 'invalid_argument'],
            [fn() => new \Cachekit\Date('2023-02-29'), 'invalid_temporal'],
            [fn() => new \Cachekit\Time('24:00:00'), 'invalid_temporal'],
            [fn() => new \Cachekit\DateTime('yesterday'), 'invalid_temporal'],
        ] as $i => [$make, $kind]) {
            try {
                $make();
                $this->fail("case $i: expected $kind");
            } catch (\Cachekit\UsageException $e) {
                $this->assertStringStartsWith("$kind: ", $e->getMessage(), "case $i");
            }
        }
        $this->assertSame('18446744073709551615', (string) new \Cachekit\BigInt('18446744073709551615'));
        $this->assertSame('-9223372036854775808', (new \Cachekit\BigInt('-9223372036854775808'))->value);

        $d = new \Cachekit\Date('2024-02-29');
        $b = new Bytes('ab');
        $set = new \Cachekit\Set([1, 2]);
        $map = new \Cachekit\Map([[1, 'a']]);
        foreach ([
            [fn() => $d->value = '2024-03-01', 'Cannot modify readonly property Cachekit\\Date::$value'],
            [fn() => $b->data = 'x', 'Cannot modify readonly property Cachekit\\Bytes::$data'],
            [fn() => $b->extra = 1, 'Cannot create dynamic property Cachekit\\Bytes::$extra'],
            [fn() => $set->items = [], 'Cannot modify readonly property Cachekit\\Set::$items'],
            [fn() => $map->entries = [], 'Cannot modify readonly property Cachekit\\Map::$entries'],
        ] as $i => [$write, $message]) {
            try {
                $write();
                $this->fail("write $i: expected an Error");
            } catch (\Error $e) {
                $this->assertSame($message, $e->getMessage());
            }
        }
        $this->assertSame('2024-02-29', $d->value);
        $this->assertSame('ab', $b->data);
        $this->assertTrue((new \ReflectionClass(\Cachekit\Uuid::class))->isFinal());
    }

    public function testObjectsResourcesAndClosuresAreRefused(): void
    {
        $c = $this->cache();
        $fh = fopen('php://memory', 'r');
        foreach ([new \stdClass(), fn() => 1, $fh, ['nested' => new \ArrayObject()]] as $bad) {
            try {
                $c->set('bad', $bad);
                $this->fail('expected UnsupportedTypeException');
            } catch (\Cachekit\UnsupportedTypeException $e) {
                $this->assertSame(103, $e->getCode());
                $this->assertInstanceOf(\Cachekit\Exception::class, $e);
            }
        }
        fclose($fh);
    }

    public function testPsr16(): void
    {
        $ns = Support::unique('psr');
        $p = new Psr16Cache(new Cache(Support::redis(), ['namespace' => $ns]));
        $this->assertInstanceOf(\Psr\SimpleCache\CacheInterface::class, $p);
        $this->assertSame('d', $p->get('a', 'd'));
        $this->assertTrue($p->set('a', 1));
        $this->assertSame(1, $p->get('a'));
        $this->assertTrue($p->has('a'));
        $this->assertTrue($p->set('n', null));
        $this->assertNull($p->get('n', 'd'), 'a cached null is not a miss');
        $this->assertTrue($p->setMultiple(['x' => 1, 'y' => 2], new \DateInterval('PT60S')));
        $this->assertSame(['x' => 1, 'y' => 2, 'z' => 'd'], $p->getMultiple(['x', 'y', 'z'], 'd'));
        $this->assertTrue($p->deleteMultiple(['x']));
        $this->assertFalse($p->has('x'));
        $this->assertTrue($p->set('gone', 1, 0));
        $this->assertFalse($p->has('gone'));
        $this->assertTrue($p->clear());
        $this->assertFalse($p->has('y'));
        foreach (['', 'a{b', 'a:b', 'a/b', 'a@b', 'a\\b', 'a(b)'] as $bad) {
            try {
                $p->get($bad);
                $this->fail("key \"$bad\" must be refused");
            } catch (\Psr\SimpleCache\InvalidArgumentException $e) {
                $this->assertInstanceOf(\Psr\SimpleCache\InvalidArgumentException::class, $e);
            }
        }
        $this->expectException(\Psr\SimpleCache\InvalidArgumentException::class);
        $p->getMultiple('not iterable');
    }
}
