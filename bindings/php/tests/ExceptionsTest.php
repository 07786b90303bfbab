<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use PHPUnit\Framework\TestCase;

final class CustomBackendException extends \Cachekit\BackendException
{
}

/** The exception classes construct like any PHP exception, directly and through subclasses. */
final class ExceptionsTest extends TestCase
{
    public function testExceptionClassesAreConstructible(): void
    {
        $classes = [\Cachekit\Exception::class, \Cachekit\UsageException::class, \Cachekit\UnsupportedTypeException::class,
            \Cachekit\DecodeException::class, \Cachekit\CryptoException::class, \Cachekit\BackendException::class, \Cachekit\InternalException::class];
        foreach ($classes as $class) {
            $e = new $class('m', 401);
            $this->assertSame('m', $e->getMessage(), $class);
            $this->assertSame(401, $e->getCode(), $class);
            $this->assertNull($e->getPrevious(), $class);
            $this->assertSame('', (new $class())->getMessage(), $class);
        }
        $prev = new \RuntimeException('cause');
        $e = new CustomBackendException('wrapped', 7, $prev);
        $this->assertInstanceOf(\Cachekit\Exception::class, $e);
        $this->assertSame($prev, $e->getPrevious());
        $this->assertSame(['wrapped', 7], [$e->getMessage(), $e->getCode()]);
        try {
            throw new \Cachekit\DecodeException('thrown', 2);
        } catch (\Cachekit\Exception $caught) {
            $this->assertSame('thrown', $caught->getMessage());
        }
        $this->expectException(\TypeError::class);
        new \Cachekit\UsageException('m', 1, new \stdClass());
    }

    /** The line of the `set()` call in setUnsupported(). */
    private static int $setLine = 0;

    /** Calls the extension one user frame below the test, so the trace has both frames. */
    private static function setUnsupported(\Cachekit\Cache $cache, mixed $value): void
    {
        self::$setLine = __LINE__ + 1;
        $cache->set('k', $value);
    }

    public function testExtensionExceptionsCarryTheCallingLineAndTrace(): void
    {
        $cache = new \Cachekit\Cache(null, []);
        $resource = fopen('php://memory', 'r');
        try {
            $callLine = __LINE__ + 1;
            self::setUnsupported($cache, $resource);
            $this->fail('set() of a resource did not throw');
        } catch (\Cachekit\UnsupportedTypeException $e) {
            $this->assertSame(__FILE__, $e->getFile());
            $this->assertSame(self::$setLine, $e->getLine());
            $this->assertSame(103, $e->getCode());
            $this->assertStringStartsWith('unsupported_type: ', $e->getMessage());
            $this->assertNull($e->getPrevious());
            $trace = $e->getTrace();
            $this->assertSame([\Cachekit\Cache::class, 'set'], [$trace[0]['class'], $trace[0]['function']]);
            $this->assertSame([self::class, 'setUnsupported'], [$trace[1]['class'], $trace[1]['function']]);
            $this->assertSame([self::class, __FUNCTION__], [$trace[2]['class'], $trace[2]['function']]);
            $this->assertSame([__FILE__, $callLine], [$trace[1]['file'], $trace[1]['line']]);
            $this->assertStringContainsString(self::class . '->' . __FUNCTION__ . '()', $e->getTraceAsString());
        } finally {
            fclose($resource);
        }

        try {
            $line = __LINE__ + 1;
            \Cachekit\Protocol::masterKeyFromHex('not hex');
            $this->fail('masterKeyFromHex() of non-hex did not throw');
        } catch (\Cachekit\CryptoException $e) {
            $this->assertSame([__FILE__, $line], [$e->getFile(), $e->getLine()]);
            $this->assertSame([\Cachekit\Protocol::class, 'masterKeyFromHex'], [$e->getTrace()[0]['class'], $e->getTrace()[0]['function']]);
            $this->assertSame(__FUNCTION__, $e->getTrace()[1]['function']);
        }

        try {
            $line = __LINE__ + 1;
            new \Cachekit\Cache(null, ['no_such_option' => 1]);
            $this->fail('an unknown option did not throw');
        } catch (\Cachekit\UsageException $e) {
            $this->assertSame([__FILE__, $line, 100], [$e->getFile(), $e->getLine(), $e->getCode()]);
            $this->assertSame(__FUNCTION__, $e->getTrace()[1]['function']);
        }
    }

    public function testUserConstructedExceptionsCarryTheLineOfNew(): void
    {
        $prev = new \RuntimeException('cause');
        $line = __LINE__ + 1;
        $e = new \Cachekit\DecodeException('m', 201, $prev);
        $this->assertSame([__FILE__, $line], [$e->getFile(), $e->getLine()]);
        $this->assertSame([201, 'm', $prev], [$e->getCode(), $e->getMessage(), $e->getPrevious()]);
        $this->assertSame([self::class, __FUNCTION__], [$e->getTrace()[0]['class'], $e->getTrace()[0]['function']]);

        $line = __LINE__ + 1;
        $e = new CustomBackendException('sub', 5);
        $this->assertSame([__FILE__, $line, 5], [$e->getFile(), $e->getLine(), $e->getCode()]);

        try {
            $line = __LINE__ + 1;
            throw new \Cachekit\UsageException('x', 3);
        } catch (\Cachekit\Exception $caught) {
            $this->assertSame([__FILE__, $line, 3, 'x'], [$caught->getFile(), $caught->getLine(), $caught->getCode(), $caught->getMessage()]);
            $this->assertStringContainsString(self::class . '->' . __FUNCTION__ . '()', $caught->getTraceAsString());
        }
    }

    public function testClassHierarchyIsUnchanged(): void
    {
        $parents = [
            \Cachekit\Exception::class => \Exception::class,
            \Cachekit\UsageException::class => \Cachekit\Exception::class,
            \Cachekit\UnsupportedTypeException::class => \Cachekit\UsageException::class,
            \Cachekit\DecodeException::class => \Cachekit\Exception::class,
            \Cachekit\CryptoException::class => \Cachekit\Exception::class,
            \Cachekit\BackendException::class => \Cachekit\Exception::class,
            \Cachekit\InternalException::class => \Cachekit\Exception::class,
        ];
        foreach ($parents as $class => $parent) {
            $this->assertSame($parent, get_parent_class($class), $class);
            $this->assertTrue((new \ReflectionClass($class))->isInternal(), $class);
        }
    }
}
