<?php
// Benchmarks of the cachekit PHP extension against its peers, side by side in one run (issue 7);
// bindings/php/bench/run.sh starts Redis and runs this. Each pair alternates timed batches
// (A B A B ...) so both see the same machine load; the median batch counts.
//
// 1. remember() L2 hit (no L1)  vs phpredis get + msgpack_unpack          (target ≤ 1.2×)
// 2. remember() L2 hit (no L1)  vs Symfony Cache RedisAdapter get()        (target < 1×)
// 3. get() L1 hit               vs PHP array lookup + unserialize          (target ≤ 2 µs)
declare(strict_types=1);

require_once '/usr/share/php/Symfony/Component/Cache/autoload.php';

use Symfony\Component\Cache\Adapter\RedisAdapter;

$port = (int) getenv('BENCH_REDIS_PORT');
$quick = getenv('BENCH_QUICK') === '1';
$n = $quick ? 2000 : 20000;
$user = ['id' => 42, 'name' => 'alice', 'email' => 'alice@example.com', 'roles' => ['admin', 'dev', 'ops'], 'active' => true, 'score' => 97.5];

function redis_on(int $port): Redis
{
    $r = new Redis();
    $r->connect('127.0.0.1', $port, 1.0);
    return $r;
}

/** @return array{float, float} median µs per op of A and B */
function pair(string $nameA, callable $a, string $nameB, callable $b, int $n, int $rounds = 9): array
{
    foreach ([$a, $b] as $f) {
        for ($i = 0; $i < min($n, 2000); $i++) {
            $f($i);
        }
    }
    $ta = $tb = [];
    for ($r = 0; $r < $rounds; $r++) {
        foreach ([[$a, &$ta], [$b, &$tb]] as [$f, &$out]) {
            $t0 = hrtime(true);
            for ($i = 0; $i < $n; $i++) {
                $f($i);
            }
            $out[] = (hrtime(true) - $t0) / $n / 1000;
        }
        unset($out);
    }
    sort($ta);
    sort($tb);
    [$ma, $mb] = [$ta[intdiv($rounds, 2)], $tb[intdiv($rounds, 2)]];
    printf("%-52s %8.2f µs/op\n%-52s %8.2f µs/op\n", $nameA, $ma, $nameB, $mb);
    return [$ma, $mb];
}

$redis = redis_on($port);
$l2 = new Cachekit\Cache($redis, ['namespace' => 'bench', 'l1' => false, 'lock' => false]);
$l2->set('user', $user, 600);
$redis->set('raw:user', msgpack_pack($user));
$compute = fn () => $user;

// Sanity: every contender returns the same document.
$sym = new RedisAdapter(redis_on($port), 'sym');
$sym->get('user', fn () => $user);
foreach ([$l2->remember('user', 600, $compute), msgpack_unpack($redis->get('raw:user')), $sym->get('user', $compute)] as $got) {
    if ($got != $user) {
        fwrite(STDERR, "a contender returned something else\n");
        exit(1);
    }
}

$rows = [];
echo "== L2 hit (every call is one Redis round trip)\n";
[$ck, $raw] = pair('cachekit remember() L2 hit', fn () => $l2->remember('user', 600, $compute), 'phpredis get + msgpack_unpack', fn () => msgpack_unpack($redis->get('raw:user')), $n);
$rows[] = ['remember() L2 hit vs phpredis get + msgpack_unpack', $ck, $raw, '≤ 1.2×'];
[$ck, $sy] = pair('cachekit remember() L2 hit', fn () => $l2->remember('user', 600, $compute), 'Symfony RedisAdapter get()', fn () => $sym->get('user', $compute), $n);
$rows[] = ['remember() L2 hit vs Symfony Cache RedisAdapter get()', $ck, $sy, '< 1×'];

echo "== L1 hit\n";
$l1 = new Cachekit\Cache($redis, ['namespace' => 'bench-l1', 'lock' => false, 'ttl' => 600]);
$l1->set('user', $user);
$l1->get('user');
$arr = ['user' => serialize($user)];
[$ck, $pa] = pair('cachekit get() L1 hit', fn () => $l1->get('user'), 'PHP array lookup + unserialize', fn () => unserialize($arr['user']), $n * 5);
$rows[] = ['get() L1 hit vs PHP array lookup + unserialize', $ck, $pa, '≤ 2 µs'];

$md = "# PHP extension benchmarks\n\n"
    . "`bindings/php/bench/run.sh` (one run, one local redis-server, " . php_uname('m') . ', ' . trim((string) shell_exec('nproc')) . " CPUs, PHP " . PHP_VERSION . ", phpredis " . phpversion('redis') . ").\n"
    . "Median µs per call of alternating timed batches.\n\n"
    . "| comparison | cachekit µs | peer µs | ratio | target |\n|---|---|---|---|---|\n";
foreach ($rows as [$what, $a, $b, $target]) {
    $md .= sprintf("| %s | %.2f | %.2f | %.2f× | %s |\n", $what, $a, $b, $a / $b, $target);
}
$out = getenv('BENCH_OUT');
if ($out) {
    file_put_contents($out, $md);
}
echo "\n", $md;
