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
}
