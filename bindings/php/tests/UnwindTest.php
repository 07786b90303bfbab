<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use PHPUnit\Framework\TestCase;

/**
 * PHP leaving a computation early (exit, fatal errors, memory and time limits) in a child
 * process: the process ends as PHP says (exit code, shutdown functions), and the cache leaves
 * nothing behind (the same key is computed at once afterwards, no fill lock in Redis).
 */
final class UnwindTest extends TestCase
{
    /** Runs tests/fixtures/unwind_worker.php with `$how`; returns [exit code, stdout, stderr]. */
    private function child(string $how, string $ns): array
    {
        $php = getenv('CACHEKIT_PHP');
        if ($php === false || $php === '') {
            $this->markTestSkipped('CACHEKIT_PHP (the php command line with the extension) is set by test.sh');
        }
        $cmd = $php . ' ' . escapeshellarg(__DIR__ . '/fixtures/unwind_worker.php') . ' ' . escapeshellarg($how) . ' ' . escapeshellarg($ns);
        $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        return [proc_close($p), $out, $err];
    }

    public function testExitInsideRememberOrItsErrorHookExitsWithItsCodeAndRunsShutdownFunctions(): void
    {
        foreach (['exit', 'exit-l1', 'exit-hook'] as $how) {
            $ns = Support::unique('exit');
            [$rc, $out, $err] = $this->child($how, $ns);
            $this->assertSame(3, $rc, "$how: exit code (stdout: $out, stderr: $err)");
            $this->assertStringContainsString('shutdown ran', $out, $how);
            $this->assertStringContainsString('after: second', $out, "$how: the key is computed again at once");
            $this->assertStringNotContainsString('waited', $out, $how);
        }
    }

    public function testFatalErrorsAbandonTheComputation(): void
    {
        // Without Zend's allocator (the valgrind run) memory_limit is not enforced: the memory
        // case would run until the kernel kills it.
        $cases = getenv('USE_ZEND_ALLOC') === '0' ? ['fatal', 'timeout'] : ['fatal', 'timeout', 'memory'];
        foreach ($cases as $how) {
            $ns = Support::unique($how);
            [$rc, $out, $err] = $this->child($how, $ns);
            $this->assertSame(255, $rc, "$how: exit code (stdout: $out, stderr: $err)");
            $this->assertMatchesRegularExpression('/Fatal error|Allowed memory|Maximum execution/', $out . $err, $how);
            $this->assertStringContainsString('shutdown ran', $out, $how);
            $this->assertStringContainsString('after: second', $out, "$how: the key is computed again");
            if ($how !== 'memory') {
                // At the memory limit even the lock release may not fit: the lease ends it.
                $this->assertStringNotContainsString('waited', $out, "$how: no wait on a leftover flight or lock");
                $this->assertSame(0, Support::redis()->exists("ns:$ns:k:lock"), "$how: fill lock released");
            }
        }
    }
}
