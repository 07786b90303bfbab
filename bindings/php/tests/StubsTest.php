<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use PHPUnit\Framework\TestCase;

/** The IDE stubs match the loaded extension's reflection (classes, methods, parameters, types). */
final class StubsTest extends TestCase
{
    private static function loadStubs(): void
    {
        if (class_exists('CachekitStub\\Cache', false)) {
            return;
        }
        $src = (string) file_get_contents(__DIR__ . '/../stubs/cachekit.php');
        $src = str_replace(['namespace Cachekit;', 'extends Exception', 'extends UsageException'], ['namespace CachekitStub;', 'extends Exception', 'extends UsageException'], $src);
        $file = tempnam(sys_get_temp_dir(), 'ckstub') . '.php';
        file_put_contents($file, $src);
        require $file;
        unlink($file);
    }

    private static function sig(\ReflectionFunctionAbstract $f): array
    {
        $params = [];
        foreach ($f->getParameters() as $p) {
            $params[] = [$p->getName(), (string) $p->getType(), $p->isOptional()];
        }
        $ret = $f->getReturnType();
        return [$params, $ret === null ? null : str_replace('CachekitStub\\', 'Cachekit\\', (string) $ret)];
    }

    public function testEveryExtensionClassHasAMatchingStub(): void
    {
        self::loadStubs();
        $ext = new \ReflectionExtension('cachekit-php');
        $this->assertNotEmpty($ext->getClassNames());
        foreach ($ext->getClassNames() as $class) {
            $stub = 'CachekitStub\\' . substr($class, strlen('Cachekit\\'));
            $this->assertTrue(class_exists($stub, false), "stub of $class");
            $real = new \ReflectionClass($class);
            $fake = new \ReflectionClass($stub);
            $parent = fn(\ReflectionClass $c) => $c->getParentClass() ? str_replace('CachekitStub\\', 'Cachekit\\', $c->getParentClass()->getName()) : null;
            $this->assertSame($parent($real), $parent($fake), "parent of $class");
            $methods = fn(\ReflectionClass $c) => array_values(array_map(fn($m) => $m->getName(), array_filter($c->getMethods(), fn($m) => $m->getDeclaringClass()->getName() === $c->getName())));
            $want = $methods($real);
            $got = $methods($fake);
            sort($want);
            sort($got);
            $this->assertSame($want, $got, "methods of $class");
            foreach ($want as $m) {
                $rm = $real->getMethod($m);
                $fm = $fake->getMethod($m);
                $this->assertSame($rm->isStatic(), $fm->isStatic(), "static $class::$m");
                $this->assertSame(self::sig($rm), self::sig($fm), "signature of $class::$m");
                $this->assertNotFalse($fm->getDocComment() ?: ($fake->getDocComment() ?: false), "PHPDoc of $class::$m");
            }
        }
        foreach ($ext->getFunctions() as $name => $f) {
            $stub = 'CachekitStub\\' . substr($name, strlen('Cachekit\\'));
            $this->assertTrue(function_exists($stub), "stub of $name()");
            $this->assertSame(self::sig($f), self::sig(new \ReflectionFunction($stub)));
        }
    }
}
