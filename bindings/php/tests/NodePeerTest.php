<?php
declare(strict_types=1);

namespace Cachekit\Tests;

use Cachekit\Cache;
use Cachekit\Protocol;
use PHPUnit\Framework\TestCase;

/**
 * Live cross-language interop with the Node SDK (its `cachekit` CLI, bindings/node/dist/cli.js,
 * built by test.sh when node is installed): PHP writes interop entries, plaintext and encrypted,
 * that Node reads, and reads what Node writes; plaintext bytes are identical.
 */
final class NodePeerTest extends TestCase
{
    private const MASTER_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

    private static function cli(): ?string
    {
        $cli = realpath(__DIR__ . '/../../node/dist/cli.js');
        return $cli !== false && trim((string) shell_exec('command -v node')) !== '' ? $cli : null;
    }

    protected function setUp(): void
    {
        if (self::cli() === null) {
            $this->markTestSkipped('node or the built Node SDK (bindings/node/dist) is missing');
        }
    }

    /** Runs the Node CLI; returns [exit code, stdout]. */
    private static function node(array $args, string $key, bool $encrypted): array
    {
        $argv = array_merge(['node', self::cli()], $args, ['--redis', Support::urlFor($key), '--mode', 'interop']);
        if ($encrypted) {
            array_push($argv, '--master-key', self::MASTER_KEY);
        }
        $out = [];
        exec(implode(' ', array_map('escapeshellarg', $argv)) . ' 2>/dev/null', $out, $rc);
        return [$rc, implode("\n", $out)];
    }

    private static function cache(bool $encrypted): Cache
    {
        $o = ['l1' => false, 'ttl' => 300];
        if ($encrypted) {
            $o['encryption'] = ['master_key' => self::MASTER_KEY];
        }
        return new Cache(Support::redis(), $o);
    }

    /** @return list<array{bool}> */
    public static function encryptedOrNot(): array
    {
        return ['plaintext' => [false], 'encrypted' => [true]];
    }

    /** @dataProvider encryptedOrNot */
    public function testPhpWritesNodeReads(bool $encrypted): void
    {
        $ns = Support::unique('nodeint');
        $value = InteropPeerTest::value();
        $this->assertSame($value, self::cache($encrypted)->interop($ns, 'get_user', [42, 'a'], fn () => $value));
        $key = Protocol::interopKey($ns, 'get_user', [42, 'a']);
        [$rc, $out] = self::node(['get', '--namespace', $ns, '--operation', 'get_user', '--args', '[42,"a"]'], $key, $encrypted);
        $this->assertSame(0, $rc, $out);
        $this->assertEquals($value, InteropPeerTest::untag(json_decode($out, true, 512, JSON_THROW_ON_ERROR)));
        if (!$encrypted) {
            // Node writing the same call stores the very same bytes.
            $php = Support::redis()->get($key);
            [$rc, $out] = self::node(['set', '--namespace', $ns, '--operation', 'get_user', '--args', '[42,"a"]', json_encode(InteropPeerTest::tag($value))], $key, false);
            $this->assertSame(0, $rc, $out);
            $this->assertSame(bin2hex($php), bin2hex((string) Support::redis()->get($key)));
        }
    }

    /** @dataProvider encryptedOrNot */
    public function testNodeWritesPhpReads(bool $encrypted): void
    {
        $ns = Support::unique('nodeint');
        $value = InteropPeerTest::value();
        $key = Protocol::interopKey($ns, 'get_user', [7]);
        [$rc, $out] = self::node(['set', '--namespace', $ns, '--operation', 'get_user', '--args', '[7]', json_encode(InteropPeerTest::tag($value))], $key, $encrypted);
        $this->assertSame(0, $rc, $out);
        $stored = (string) Support::redis()->get($key);
        $this->assertSame(!$encrypted, str_contains($stored, 'alice'));
        $got = self::cache($encrypted)->interop($ns, 'get_user', [7], function () {
            throw new \LogicException('must be a hit');
        });
        $this->assertEquals($value, $got);
    }
}
