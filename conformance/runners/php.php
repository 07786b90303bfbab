<?php
// The PHP binding's conformance runner (conformance/runners/php runs it with the extension
// loaded): every vector schema of VECTORS.md through the extension's public surface
// (Cachekit\Protocol, Cachekit\Keyring, the value wrappers), never through Rust directly.
// Mirrors the Rust runner (conformance/runner/src/schemas.rs) and the Node runner
// (conformance/runners/node.mjs) check for check, so they print the same lines.
declare(strict_types=1);

use Cachekit\BigInt;
use Cachekit\Bytes;
use Cachekit\Date;
use Cachekit\DateTime as CkDateTime;
use Cachekit\Keyring;
use Cachekit\Map;
use Cachekit\Protocol as P;
use Cachekit\Set;
use Cachekit\Time;
use Cachekit\Uuid;

// ------------------------------------------------------------ JSON
// json_decode to stdClass keeps object members in file order (foreach yields the keys as the
// file spells them, numeric ones included); JSON_BIGINT_AS_STRING keeps integers beyond
// PHP_INT_MAX exact (as text; the vector files put such values in `$int` tags).

function parse_json(string $text): mixed
{
    return json_decode($text, false, 100000, JSON_BIGINT_AS_STRING | JSON_THROW_ON_ERROR);
}

function js(mixed $v): string
{
    return (string) json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
}

// ------------------------------------------------------------ tagged JSON → exact values

final class Check extends \Exception
{
}

function text(string $tag, mixed $v): string
{
    if (!is_string($v)) {
        throw new Check("$tag expects a string");
    }
    return $v;
}

/** Tagged JSON (VECTORS.md) → the PHP value the extension maps to the exact core value. */
function tagged(mixed $j): mixed
{
    if ($j === null || is_bool($j) || is_string($j) || is_int($j) || is_float($j)) {
        return $j;
    }
    if (is_array($j)) {
        return array_map('tagged', $j);
    }
    $entries = [];
    foreach ($j as $k => $v) {
        $entries[] = [(string) $k, $v];
    }
    if (count($entries) === 1 && str_starts_with($entries[0][0], '$')) {
        [$tag, $v] = $entries[0];
        switch ($tag) {
            case '$int':
                $t = text($tag, $v);
                if (!preg_match('/^[+-]?[0-9]+$/', $t)) {
                    throw new Check("bad \$int $t");
                }
                return (string) (int) $t === $t ? (int) $t : new BigInt($t);
            case '$float':
                $t = text($tag, $v);
                $special = ['nan' => NAN, 'NaN' => NAN, 'inf' => INF, 'Infinity' => INF, '-inf' => -INF, '-Infinity' => -INF];
                if (array_key_exists($t, $special)) {
                    return $special[$t];
                }
                if (!is_numeric($t)) {
                    throw new Check("bad \$float $t");
                }
                return (float) $t;
            case '$bytes':
                return new Bytes(unhex(text($tag, $v)));
            case '$uuid':
                return new Uuid(text($tag, $v));
            case '$datetime':
                return new CkDateTime(text($tag, $v));
            case '$date':
                return new Date(text($tag, $v));
            case '$time':
                return new Time(text($tag, $v));
            case '$set':
                if (!is_array($v)) {
                    throw new Check('$set expects an array');
                }
                return new Set(array_map('tagged', $v));
            case '$map':
                if (!is_array($v)) {
                    throw new Check('$map expects an array');
                }
                return new Map(array_map(function ($pair) {
                    if (!is_array($pair) || count($pair) !== 2) {
                        throw new Check('$map entries are [key, value]');
                    }
                    return [tagged($pair[0]), tagged($pair[1])];
                }, $v));
            default:
                throw new Check("unknown tag $tag");
        }
    }
    return new Map(array_map(fn ($e) => [$e[0], tagged($e[1])], $entries));
}

function unhex(string $s): string
{
    if (strlen($s) % 2 !== 0 || !preg_match('/^[0-9a-fA-F]*$/', $s)) {
        throw new Check('bad hex ' . js($s));
    }
    return (string) hex2bin($s);
}

/** Structural equality of exact values; floats by value with NaN equal to NaN and -0.0 ≠ 0.0. */
function same(mixed $a, mixed $b): bool
{
    if (is_float($a) && is_float($b)) {
        return (is_nan($a) && is_nan($b)) || pack('E', $a) === pack('E', $b);
    }
    if (!is_object($a) || !is_object($b)) {
        if (is_array($a) && is_array($b)) {
            if (count($a) !== count($b) || array_keys($a) !== array_keys($b)) {
                return false;
            }
            foreach ($a as $k => $x) {
                if (!same($x, $b[$k])) {
                    return false;
                }
            }
            return true;
        }
        return $a === $b;
    }
    if (get_class($a) !== get_class($b)) {
        return false;
    }
    if ($a instanceof Bytes) {
        return $a->data === $b->data;
    }
    if ($a instanceof Set) {
        return same($a->items, $b->items);
    }
    if ($a instanceof Map) {
        return same($a->entries, $b->entries);
    }
    if ($a instanceof BigInt || $a instanceof Uuid || $a instanceof Date || $a instanceof Time || $a instanceof CkDateTime) {
        return $a->value === $b->value;
    }
    return false;
}

/** The expected value as the core normalises it (temporal text, UUID case, small BigInts). */
function normal(mixed $v): mixed
{
    try {
        return P::exactValue($v);
    } catch (\Throwable) {
        return $v;
    }
}

function show(mixed $v): string
{
    $plain = function (mixed $x) use (&$plain): mixed {
        if (is_float($x)) {
            return is_nan($x) || is_infinite($x) ? "Float($x)" : $x;
        }
        if (is_string($x)) {
            return preg_match('//u', $x) === 1 ? $x : '0x' . bin2hex($x);
        }
        if (is_array($x)) {
            return array_map($plain, $x);
        }
        if ($x instanceof Bytes) {
            return '0x' . bin2hex($x->data);
        }
        if ($x instanceof Map) {
            return ['map' => $plain($x->entries)];
        }
        if ($x instanceof Set) {
            return ['set' => $plain($x->items)];
        }
        if (is_object($x) && property_exists($x, 'value')) {
            return [(new \ReflectionClass($x))->getShortName() => $x->value];
        }
        return $x;
    };
    return js($plain($v));
}

// ------------------------------------------------------------ checks

function field(mixed $v, string $k): mixed
{
    if (!($v instanceof \stdClass) || !property_exists($v, $k)) {
        throw new Check('vector has no ' . js($k));
    }
    return $v->$k;
}
function s(mixed $v, string $k): string
{
    $x = field($v, $k);
    if (!is_string($x)) {
        throw new Check(js($k) . ' is not a string');
    }
    return $x;
}
function opt_s(mixed $v, string $k): ?string
{
    return $v instanceof \stdClass && property_exists($v, $k) && is_string($v->$k) ? $v->$k : null;
}
function has(mixed $v, string $k): bool
{
    return $v instanceof \stdClass && property_exists($v, $k);
}
function get(mixed $v, string $k): mixed
{
    return has($v, $k) ? $v->$k : null;
}
function hx(mixed $v, string $k): string
{
    return unhex(s($v, $k));
}
function b(mixed $v, string $k): bool
{
    $x = field($v, $k);
    if (!is_bool($x)) {
        throw new Check(js($k) . ' is not a bool');
    }
    return $x;
}
function name_of(mixed $v): string
{
    return opt_s($v, 'name') ?? '?';
}
function lst(mixed $doc, string $k): array
{
    $x = get($doc, $k);
    return is_array($x) ? $x : [];
}
function u64(mixed $v, string $k): int|string
{
    $x = field($v, $k);
    return is_int($x) || (is_string($x) && ctype_digit($x)) ? $x : 0;
}

function eq_hex(string $what, string $got, string $want): void
{
    if ($got !== $want) {
        throw new Check("$what: got " . bin2hex($got) . ', want ' . bin2hex($want));
    }
}
function eq(string $what, mixed $got, mixed $want): void
{
    if ($got !== $want) {
        throw new Check("$what: got " . js((string) $got) . ', want ' . js((string) $want));
    }
}
function same_value(string $what, mixed $got, mixed $want): void
{
    if (!same($got, normal($want))) {
        throw new Check("$what: got " . show($got) . ', want ' . show($want));
    }
}
/** The machine name of a cachekit exception (its message prefix), null for other throwables. */
function kind(\Throwable $e): ?string
{
    return $e instanceof \Cachekit\Exception ? explode(':', $e->getMessage(), 2)[0] : null;
}
function ok(string $what, callable $f): mixed
{
    try {
        return $f();
    } catch (Check $e) {
        throw $e;
    } catch (\Throwable $e) {
        throw new Check("$what: " . (kind($e) === null ? get_class($e) . ': ' : '') . $e->getMessage());
    }
}
/** @param list<string> $kinds */
function fails(string $what, callable $f, array $kinds = []): void
{
    try {
        $got = $f();
    } catch (Check $e) {
        throw $e;
    } catch (\Throwable $e) {
        if ($kinds === [] || in_array(kind($e), $kinds, true)) {
            return;
        }
        throw new Check("$what: failed with " . (kind($e) ?? get_class($e)) . ' (' . $e->getMessage() . '), want one of ' . implode(', ', $kinds));
    }
    throw new Check("$what: accepted (" . show($got) . '), must fail');
}

final class Report
{
    public int $passed = 0;
    public int $failed = 0;
    public int $skipped = 0;

    public function __construct(private string $file)
    {
    }

    public function check(string $section, string $name, callable $f): void
    {
        try {
            $f();
            $this->passed++;
        } catch (\Throwable $e) {
            $this->failed++;
            $why = $e instanceof Check ? $e->getMessage() : 'runner error: ' . get_class($e) . ': ' . $e->getMessage();
            echo "FAIL {$this->file}:$section/$name: $why\n";
        }
    }

    public function skip(): void
    {
        $this->skipped++;
    }

    public function unknownSection(string $section, mixed $body): void
    {
        $n = is_array($body) ? max(count($body), 1) : 1;
        for ($i = 0; $i < $n; $i++) {
            $this->check($section, '*', function () {
                throw new Check('unknown section: this runner cannot run it');
            });
        }
    }
}

function each(mixed $doc, string $section, Report $report, callable $f): void
{
    foreach (lst($doc, $section) as $v) {
        $report->check($section, name_of($v), fn () => $f($v));
    }
}

function unknown_sections(mixed $doc, array $known, Report $report): void
{
    if (!($doc instanceof \stdClass)) {
        return;
    }
    foreach ($doc as $k => $v) {
        $holds = false;
        if (is_array($v)) {
            foreach ($v as $x) {
                $holds = $holds || $x instanceof \stdClass;
            }
        } elseif ($v instanceof \stdClass) {
            foreach ($v as $x) {
                $holds = $holds || is_array($x);
            }
        }
        if ($holds && !in_array((string) $k, $known, true)) {
            $report->unknownSection((string) $k, $v);
        }
    }
}

const MODES = ['default', 'default-no-integrity', 'interop'];

// ------------------------------------------------------------ wire-format

function construct(mixed $parts): string
{
    if (!is_array($parts)) {
        throw new Check('construction is not a list');
    }
    $out = '';
    foreach ($parts as $p) {
        $chunk = hx($p, 'hex');
        $count = field($p, 'count');
        if (!is_int($count)) {
            throw new Check('count is not an integer');
        }
        $out .= str_repeat($chunk, $count);
    }
    return $out;
}

function read_default(string $env): mixed
{
    return P::decodeEntry($env, 'default', 'k');
}

function wire_format(\stdClass $doc, Report $report): void
{
    each($doc, 'vectors', $report, function ($v) {
        $env = hx($v, 'envelope_hex');
        $input = hx($v, 'input_hex');
        eq_hex('retrieve', ok('retrieve', fn () => P::envelopeRetrieve($env)), $input);
        if (get($v, 'envelope_encoding') === 'bin') {
            eq_hex('store', ok('store', fn () => P::envelopeStore($input)), $env);
        }
    });
    each($doc, 'constructed_vectors', $report, function ($v) {
        $env = construct(field($v, 'envelope_construction'));
        $input = construct(field($v, 'input_construction'));
        eq('envelope_size', strlen($env), u64($v, 'envelope_size'));
        $parsed = ok('parse', fn () => P::envelopeParse($env));
        eq('compressed_size', $parsed['compressedSize'], u64($v, 'compressed_size'));
        eq('original_size', $parsed['originalSize'], u64($v, 'original_size'));
        eq('checksum', $parsed['checksum'], s($v, 'checksum_hex'));
        eq('encoding', $parsed['encoding'], s($v, 'envelope_encoding') === 'bin' ? 'bin' : 'int-array');
        $out = ok('retrieve', fn () => P::envelopeRetrieve($env));
        if ($out !== $input) {
            throw new Check('retrieve: output differs from input_construction');
        }
    });
    each($doc, 'reject_vectors', $report, function ($v) {
        $env = hx($v, 'envelope_hex');
        $step = u64($v, 'reject_step');
        $check = get($v, 'reject_check');
        $kinds = match (true) {
            $step === 2 && $check === 'decode_bounds' => ['decode_bounds'],
            $step === 2 && $check === 'trailing_bytes' => ['trailing_bytes'],
            $step === 2 => ['envelope_structure'],
            in_array($step, [1, 3, 4], true) => ['envelope_size_limit'],
            $step === 5 => ['decompression_bomb'],
            $step === 6 => ['decompression_failed'],
            default => ['checksum_mismatch', 'decompression_failed'],
        };
        fails('retrieve', fn () => P::envelopeRetrieve($env), $kinds);
        fails('entry read', fn () => read_default($env), $kinds);
    });
    each($doc, 'payload_reject_vectors', $report, function ($v) {
        $env = hx($v, 'envelope_hex');
        eq_hex('retrieve', ok('retrieve', fn () => P::envelopeRetrieve($env)), hx($v, 'input_hex'));
        fails('entry read', fn () => read_default($env), ['decode_bounds']);
    });
    each($doc, 'temporal_sentinel_vectors', $report, function ($v) {
        $payload = hx($v, 'payload_hex');
        $r = field($v, 'revives_to');
        $iso = s($r, 'iso');
        $type = s($r, 'type');
        $class = ['datetime' => CkDateTime::class, 'date' => Date::class, 'time' => Time::class][$type] ?? null;
        if ($class === null) {
            throw new Check("unknown temporal type $type");
        }
        $want = ok('parse', fn () => P::exactValue(new $class($iso)));
        same_value('standard read', ok('decode', fn () => P::deserialize($payload)), $want);
        same_value('interop read', ok('decode', fn () => P::readInterop($payload)), $want);
        eq_hex('standard write', ok('encode', fn () => P::serialize($want)), $payload);
    });
}

// ------------------------------------------------------------ decode-bounds

function decode_bounds(\stdClass $doc, Report $report): void
{
    each($doc, 'reject_vectors', $report, function ($v) {
        $input = hx($v, 'input_hex');
        $k = ['decode_bounds'];
        fails('standard read', fn () => P::deserialize($input), $k);
        fails('interop read', fn () => P::readInterop($input), $k);
        fails('envelope read', fn () => P::envelopeRetrieve($input), $k);
        foreach (MODES as $m) {
            fails("entry read $m", fn () => P::decodeEntry($input, $m, 'k'), $k);
        }
    });
    each($doc, 'accept_vectors', $report, function ($v) {
        $input = hx($v, 'input_hex');
        ok('standard read', fn () => P::deserialize($input));
        ok('interop read', fn () => P::readInterop($input));
    });
}

// ------------------------------------------------------------ interop-mode

function args(mixed $v): array
{
    $a = tagged(field($v, 'args'));
    if (!is_array($a)) {
        throw new Check('args is not a list: ' . show($a));
    }
    return $a;
}

function aad_of(mixed $v, string $tenant): string
{
    return P::aad($tenant, s($v, 'cache_key'), s($v, 'format'), b($v, 'compressed'), opt_s($v, 'original_type'));
}

function seal_and_open(Keyring $ring, string $aad, string $plaintext, string $ciphertext): void
{
    eq_hex('open', ok('open', fn () => $ring->decrypt($aad, $ciphertext)), $plaintext);
    if (strlen($ciphertext) < 12) {
        throw new Check('ciphertext shorter than a nonce');
    }
    eq_hex('seal', ok('seal', fn () => $ring->sealWithNonce(substr($ciphertext, 0, 12), $aad, $plaintext)), $ciphertext);
}

/** @param list<string> $previous */
function ring_of(string $masterHex, string $tenant, array $previous = []): Keyring
{
    return ok('keyring', fn () => new Keyring($masterHex, $previous, $tenant));
}

function interop_mode(\stdClass $doc, Report $report): void
{
    each($doc, 'key_vectors', $report, function ($v) {
        $a = args($v);
        eq_hex('canonical args', ok('encode_args', fn () => P::canonicalArgs($a)), hx($v, 'canonical_args_hex'));
        eq('args_hash', ok('hash', fn () => P::interopArgsHash($a)), s($v, 'args_hash'));
        eq('key', ok('key', fn () => P::interopKey(s($v, 'namespace'), s($v, 'operation'), $a)), s($v, 'expected_key'));
    });
    each($doc, 'error_vectors', $report, function ($v) {
        $a = args($v);
        $ns = opt_s($v, 'namespace');
        $op = opt_s($v, 'operation');
        if ($ns !== null && $op !== null) {
            fails('key', fn () => P::interopKey($ns, $op, $a));
        } else {
            fails('encode_args', fn () => P::canonicalArgs($a));
        }
    });
    each($doc, 'value_vectors', $report, function ($v) {
        $val = tagged(field($v, 'value'));
        $want = hx($v, 'canonical_msgpack_hex');
        eq_hex('canonical value', ok('encode_value', fn () => P::canonicalValue($val)), $want);
        $back = ok('decode_value', fn () => P::readInterop($want));
        eq_hex('re-encoded', ok('encode_value', fn () => P::canonicalValue($back)), $want);
    });
    each($doc, 'value_error_vectors', $report, function ($v) {
        $val = tagged(field($v, 'value'));
        fails('encode_value', fn () => P::canonicalValue($val));
    });
    each($doc, 'reader_accept_vectors', $report, function ($v) {
        $got = ok('decode_value', fn () => P::readInterop(hx($v, 'input_hex')));
        if (has($v, 'value')) {
            same_value('value', $got, tagged($v->value));
        }
    });
    each($doc, 'reader_reject_vectors', $report, function ($v) {
        $in = hx($v, 'input_hex');
        fails('decode_value', fn () => P::readInterop($in));
    });
    each($doc, 'aad_vectors', $report, function ($v) {
        $aad = P::aad(s($v, 'tenant_id'), s($v, 'cache_key'), s($v, 'format'), b($v, 'compressed'));
        eq_hex('aad', $aad, hx($v, 'aad_hex'));
    });
    each($doc, 'encryption_vectors', $report, function ($v) {
        $ring = ring_of(s($v, 'master_key_hex'), s($v, 'tenant_id'));
        eq('fingerprint', bin2hex($ring->fingerprint()), s($v, 'derived_key_fingerprint_hex'));
        $aad = P::aad(s($v, 'tenant_id'), s($v, 'cache_key'), s($v, 'format'), b($v, 'compressed'));
        eq_hex('aad', $aad, hx($v, 'aad_hex'));
        seal_and_open($ring, $aad, hx($v, 'plaintext_hex'), hx($v, 'ciphertext_hex'));
    });
}

// ------------------------------------------------------------ encryption

function encryption(\stdClass $doc, Report $report): void
{
    $topKey = opt_s($doc, 'master_key_hex');
    $topTenant = opt_s($doc, 'tenant_id');
    if ($topKey === null || $topTenant === null) {
        $report->check('file', '*', function () {
            throw new Check('no top-level master_key_hex/tenant_id');
        });
        return;
    }
    $fp = opt_s($doc, 'derived_key_fingerprint_hex');
    if ($fp !== null) {
        $report->check('top', 'derived_key_fingerprint', fn () => eq('fingerprint', bin2hex(ring_of($topKey, $topTenant)->fingerprint()), $fp));
    }
    each($doc, 'vectors', $report, function ($v) use ($topKey, $topTenant) {
        $tenant = opt_s($v, 'tenant_id') ?? $topTenant;
        $ring = ring_of(opt_s($v, 'master_key_hex') ?? $topKey, $tenant);
        $aad = aad_of($v, $tenant);
        eq_hex('aad', $aad, hx($v, 'aad_hex'));
        seal_and_open($ring, $aad, hx($v, 'plaintext_hex'), hx($v, 'ciphertext_hex'));
    });
    each($doc, 'aad_reject_vectors', $report, function ($v) use ($topKey, $topTenant) {
        $ring = ring_of($topKey, $topTenant);
        $aad = aad_of($v, $topTenant);
        eq_hex('aad', $aad, hx($v, 'aad_hex'));
        $ct = hx($v, 'ciphertext_hex');
        fails('open', fn () => $ring->decrypt($aad, $ct), ['decryption_failed']);
    });
    if (has($doc, 'keyring')) {
        keyring($doc->keyring, $report);
    }
    if (has($doc, 'decrypted_container')) {
        foreach (lst($doc->decrypted_container, 'vectors') as $v) {
            $mode = ['plain_msgpack' => 'default-no-integrity', 'bytestorage_envelope' => 'default', 'interop' => 'interop'][get($v, 'reader')] ?? null;
            // arrow_checksummed / orjson_checksummed: Python-only readers, out of scope.
            if ($mode === null) {
                $report->skip();
                continue;
            }
            $report->check('decrypted_container', name_of($v), fn () => decrypted_container($v, $mode, $topKey, $topTenant));
        }
    }
    if (has($doc, 'default_tenant')) {
        $dt = $doc->default_tenant;
        $report->check('default_tenant', 'derived_key_fingerprint', fn () => eq('fingerprint', bin2hex(ring_of($topKey, 'default')->fingerprint()), s($dt, 'derived_key_fingerprint_hex')));
        each($dt, 'vectors', $report, function ($v) use ($topKey) {
            $ring = ring_of($topKey, 'default');
            $aad = aad_of($v, 'default');
            eq_hex('aad', $aad, hx($v, 'aad_hex'));
            seal_and_open($ring, $aad, hx($v, 'plaintext_hex'), hx($v, 'ciphertext_hex'));
        });
    }
    if (has($doc, 'master_key_input')) {
        $mk = $doc->master_key_input;
        $tenant = opt_s($mk, 'tenant_id') ?? 'default';
        each($mk, 'accept_vectors', $report, function ($v) use ($tenant) {
            $ring = ring_of(s($v, 'master_key_hex'), $tenant);
            eq('fingerprint', bin2hex($ring->fingerprint()), s($v, 'derived_key_fingerprint_hex'));
            $aad = aad_of($v, $tenant);
            eq_hex('aad', $aad, hx($v, 'aad_hex'));
            seal_and_open($ring, $aad, hx($v, 'plaintext_hex'), hx($v, 'ciphertext_hex'));
        });
        each($mk, 'reject_vectors', $report, function ($v) {
            $k = s($v, 'master_key_hex');
            fails('from_hex', fn () => P::masterKeyFromHex($k), ['invalid_master_key']);
        });
        each($mk, 'raw_reject_vectors', $report, function ($v) {
            $raw = hx($v, 'raw_key_hex');
            fails('from_bytes', fn () => P::masterKeyFromBytes($raw), ['invalid_master_key']);
        });
    }
}

/** A `decrypted_container` row: open succeeds, then the reader configured as `$mode` gives the row's `outcome`. */
function decrypted_container(mixed $v, string $mode, string $topKey, string $topTenant): void
{
    $ring = ring_of($topKey, $topTenant);
    $aad = aad_of($v, $topTenant);
    eq_hex('aad', $aad, hx($v, 'aad_hex'));
    $ct = hx($v, 'ciphertext_hex');
    eq_hex('open', ok('open', fn () => $ring->decrypt($aad, $ct)), hx($v, 'plaintext_hex'));
    $key = s($v, 'cache_key');
    $read = fn () => $ring->decodeEntry($ct, $mode, $key);
    $outcome = s($v, 'outcome');
    if ($outcome === 'error') {
        fails('read', $read);
        return;
    }
    if ($outcome === 'not_unwrapped') {
        // The reader gets the envelope array itself, not the value inside it.
        $got = ok('read', $read);
        if (is_array($got) && array_is_list($got) && count($got) === 4 && $got[0] instanceof Bytes) {
            return;
        }
        throw new Check('read: got ' . show($got) . ', want the raw 4-element envelope');
    }
    throw new Check("unknown outcome $outcome");
}

function keyring(mixed $kr, Report $report): void
{
    $tenant = opt_s($kr, 'tenant_id') ?? 'default';
    $entries = [];
    foreach (lst($kr, 'entries') as $e) {
        if (opt_s($e, 'id') !== null && opt_s($e, 'master_key_hex') !== null && opt_s($e, 'derived_key_fingerprint_hex') !== null) {
            $entries[] = [$e->id, $e->master_key_hex, $e->derived_key_fingerprint_hex];
        }
    }
    each($kr, 'entries', $report, fn ($e) => eq('fingerprint', bin2hex(ring_of(s($e, 'master_key_hex'), $tenant)->fingerprint()), s($e, 'derived_key_fingerprint_hex')));
    each($kr, 'vectors', $report, function ($v) use ($entries, $tenant) {
        $keys = array_map(fn ($e) => $e[1], $entries);
        foreach ($keys as $k) {
            ok('master key', fn () => P::masterKeyFromHex($k));
        }
        $aad = aad_of($v, $tenant);
        eq_hex('aad', $aad, hx($v, 'aad_hex'));
        $ct = hx($v, 'ciphertext_hex');
        $want = hx($v, 'plaintext_hex');
        // Whichever key is current, a keyring holding both opens every entry.
        foreach ($keys as $i => $current) {
            $prev = array_values(array_filter($keys, fn ($j) => $j !== $i, ARRAY_FILTER_USE_KEY));
            $ring = ring_of($current, $tenant, $prev);
            eq_hex("open (current = key $i)", ok('decrypt', fn () => $ring->decrypt($aad, $ct)), $want);
        }
        $id = s($v, 'encrypted_with');
        $entry = null;
        foreach ($entries as $e) {
            if ($e[0] === $id) {
                $entry = $e;
                break;
            }
        }
        if ($entry === null) {
            throw new Check('unknown key id');
        }
        eq('key fingerprint', $entry[2], s($v, 'key_fingerprint_hex'));
    });
    if (has($kr, 'configuration')) {
        each($kr->configuration, 'vectors', $report, function ($v) use ($tenant) {
            $prevList = field($v, 'decrypt_only_master_keys_hex');
            if (!is_array($prevList)) {
                throw new Check('not a list');
            }
            $prev = array_values(array_filter($prevList, 'is_string'));
            $load = fn () => Keyring::fromHex(s($v, 'current_master_key_hex'), implode(',', $prev), $tenant);
            if (s($v, 'verdict') === 'accept') {
                ok('load', $load);
            } else {
                fails('load', $load, ['invalid_keyring']);
            }
        });
    }
}

// ------------------------------------------------------------ cache-keys

function kwargs(mixed $v): Map
{
    $k = field($v, 'kwargs');
    if (!($k instanceof \stdClass)) {
        throw new Check('kwargs is not an object: ' . show($k));
    }
    $entries = [];
    foreach ($k as $name => $x) {
        $entries[] = [(string) $name, tagged($x)];
    }
    return new Map($entries);
}

function default_key(mixed $v, mixed $serializer): callable
{
    $fn = (opt_s($v, 'function_module') ?? '') . '.' . (opt_s($v, 'function_qualname') ?? '');
    $a = args($v);
    $kw = kwargs($v);
    $integrity = get($v, 'integrity_checking');
    return fn () => P::defaultKey(opt_s($v, 'namespace'), $fn, $a, $kw, is_bool($integrity) ? $integrity : true, $serializer);
}

function cache_keys(\stdClass $doc, Report $report): void
{
    each($doc, 'vectors', $report, fn ($v) => eq('key', ok('key', default_key($v, s($v, 'serializer_type'))), s($v, 'expected_key')));
    each($doc, 'error_vectors', $report, function ($v) {
        $id = field($v, 'serializer_type');
        if ($id === null) {
            // `?string $serializer`: null means "not given" (std) in PHP; a null identity
            // cannot be passed, as in the Rust API (`&str`).
            return;
        }
        // Strings must be refused by the core; other types by PHP's strict typing.
        fails('key', default_key($v, $id));
    });
    foreach (lst($doc, 'serializer_object_vectors') as $_) {
        $report->skip(); // Python serializer classes: out of scope.
    }
}

// ------------------------------------------------------------ python-frame

function refused_everywhere(string $frame, ?Keyring $ring, string $key): void
{
    foreach (MODES as $m) {
        fails("read $m", fn () => $ring ? $ring->decodeEntry($frame, $m, $key) : P::decodeEntry($frame, $m, $key), ['python_frame']);
    }
}

/** JSON equality of a parsed header and the expected one (object member order ignored, as serde's). */
function json_same(mixed $a, mixed $b): bool
{
    if ($a instanceof \stdClass && $b instanceof \stdClass) {
        $x = get_object_vars($a);
        $y = get_object_vars($b);
        if (count($x) !== count($y)) {
            return false;
        }
        foreach ($x as $k => $val) {
            if (!array_key_exists($k, $y) || !json_same($val, $y[$k])) {
                return false;
            }
        }
        return true;
    }
    if (is_array($a) && is_array($b)) {
        if (count($a) !== count($b)) {
            return false;
        }
        foreach ($a as $i => $x) {
            if (!json_same($x, $b[$i])) {
                return false;
            }
        }
        return true;
    }
    return $a === $b;
}

function inspected(string $frame, mixed $v): void
{
    $f = P::inspectPythonFrame($frame);
    if (!$f['ok']) {
        throw new Check("inspect: rejected by {$f['rejectedBy']}");
    }
    if (has($v, 'expected_header')) {
        $want = $v->expected_header;
        try {
            $got = parse_json($f['headerJson']);
        } catch (\JsonException $e) {
            throw new Check('header JSON: ' . $e->getMessage());
        }
        if (!json_same($got, $want)) {
            throw new Check("header: got {$f['headerJson']}");
        }
        $sn = $want instanceof \stdClass ? get($want, 's') : null;
        if (is_string($sn)) {
            eq('serializer', $f['serializer'], $sn);
        }
    }
    if (has($v, 'expected_payload_hex')) {
        eq_hex('payload', $f['payload'], hx($v, 'expected_payload_hex'));
    }
}

function python_frame(\stdClass $doc, Report $report): void
{
    each($doc, 'frame_vectors', $report, function ($v) {
        $frame = hx($v, 'frame_hex');
        refused_everywhere($frame, null, 'k');
        inspected($frame, $v);
    });
    each($doc, 'error_vectors', $report, function ($v) {
        $frame = hx($v, 'frame_hex');
        if (P::isPythonFrame($frame)) {
            refused_everywhere($frame, null, 'k');
        }
        $step = opt_s($v, 'rejected_by');
        if ($step !== null) {
            $r = P::inspectPythonFrame($frame, true);
            if ($r['ok']) {
                throw new Check("inspect: accepted, want rejected by $step");
            }
            eq('rejected_by', $r['rejectedBy'], $step);
        }
    });
    $reader = get($doc, 'encrypted_reader');
    each($doc, 'encrypted_read_vectors', $report, function ($v) use ($reader) {
        if ($reader === null) {
            throw new Check('no encrypted_reader block');
        }
        $ring = ok('keyring', fn () => Keyring::fromHex(s($reader, 'master_key_hex'), '', s($reader, 'tenant_id')));
        $frame = hx($v, 'frame_hex');
        eq('outcome', s($v, 'outcome'), 'fail_closed');
        refused_everywhere($frame, $ring, s($reader, 'cache_key'));
        inspected($frame, $v);
    });
}

// ------------------------------------------------------------ ours

function standard_serializer(\stdClass $doc, Report $report): void
{
    each($doc, 'vectors', $report, function ($v) {
        $val = tagged(field($v, 'value'));
        $msgpack = hx($v, 'msgpack_hex');
        eq_hex('encode', ok('encode', fn () => P::serialize($val)), $msgpack);
        $read = fn () => P::deserialize($msgpack);
        if (has($v, 'decodes_to') && $v->decodes_to === null) {
            fails('decode', $read);
        } elseif (has($v, 'decodes_to')) {
            same_value('decode', ok('decode', $read), tagged($v->decodes_to));
        } else {
            same_value('decode', ok('decode', $read), $val);
        }
        if (opt_s($v, 'envelope_hex') !== null) {
            $env = hx($v, 'envelope_hex');
            eq_hex('envelope store', ok('store', fn () => P::envelopeStore($msgpack)), $env);
            eq_hex('envelope retrieve', ok('retrieve', fn () => P::envelopeRetrieve($env)), $msgpack);
        }
    });
    each($doc, 'reader_vectors', $report, function ($v) {
        same_value('decode', ok('decode', fn () => P::deserialize(hx($v, 'input_hex'))), tagged(field($v, 'value')));
    });
    each($doc, 'error_vectors', $report, function ($v) {
        $val = tagged(field($v, 'value'));
        fails('encode', fn () => P::serialize($val));
    });
}

function key_derivation(\stdClass $doc, Report $report): void
{
    each($doc, 'vectors', $report, function ($v) {
        $domain = s($v, 'domain');
        $tenant = s($v, 'tenant_id');
        eq_hex('salt', ok('salt', fn () => P::deriveSalt($domain, $tenant)), hx($v, 'salt_hex'));
        $k = ok('derive', fn () => P::deriveKey(s($v, 'master_key_hex'), $domain, $tenant));
        eq_hex('derived key', $k, hx($v, 'derived_key_hex'));
        eq('fingerprint', bin2hex(P::keyFingerprint($k)), s($v, 'fingerprint_hex'));
    });
}

// ------------------------------------------------------------ dispatch

const SCHEMAS = [
    'wire-format' => ['wire_format', ['vectors', 'constructed_vectors', 'reject_vectors', 'payload_reject_vectors', 'temporal_sentinel_vectors', 'limits']],
    'decode-bounds' => ['decode_bounds', ['reject_vectors', 'accept_vectors']],
    'interop-mode' => ['interop_mode', ['key_vectors', 'error_vectors', 'value_vectors', 'value_error_vectors', 'reader_accept_vectors', 'reader_reject_vectors', 'aad_vectors', 'encryption_vectors', 'tagged_json']],
    'encryption' => ['encryption', ['vectors', 'aad_reject_vectors', 'keyring', 'decrypted_container', 'default_tenant', 'master_key_input']],
    'cache-keys' => ['cache_keys', ['vectors', 'error_vectors', 'serializer_object_vectors']],
    'python-frame' => ['python_frame', ['frame_vectors', 'error_vectors', 'encrypted_read_vectors', 'encrypted_reader']],
    'standard-serializer' => ['standard_serializer', ['vectors', 'reader_vectors', 'error_vectors']],
    'key-derivation' => ['key_derivation', ['vectors']],
];

function run_file(string $path, array &$total): void
{
    $file = basename($path);
    $schema = explode('.', $file)[0];
    $report = new Report($file);
    $doc = null;
    try {
        $text = @file_get_contents($path);
        if ($text === false) {
            throw new \RuntimeException('no such file');
        }
        $doc = parse_json($text);
    } catch (\Throwable $e) {
        $msg = $e->getMessage();
        $report->check('file', '*', function () use ($msg) {
            throw new Check("cannot read: $msg");
        });
    }
    if ($doc !== null) {
        if (!isset(SCHEMAS[$schema])) {
            $report->check('file', '*', function () use ($schema) {
                throw new Check('unknown schema ' . js($schema));
            });
        } elseif (!($doc instanceof \stdClass)) {
            $report->check('file', '*', function () {
                throw new Check('cannot read: not a JSON object');
            });
        } else {
            [$f, $known] = SCHEMAS[$schema];
            $f($doc, $report);
            unknown_sections($doc, $known, $report);
        }
    }
    $total['passed'] += $report->passed;
    $total['failed'] += $report->failed;
    $total['skipped'] += $report->skipped;
}

$files = array_slice($argv, 1);
if ($files === []) {
    fwrite(STDERR, "usage: conformance/runners/php FILE...\n");
    exit(2);
}
$total = ['passed' => 0, 'failed' => 0, 'skipped' => 0];
foreach ($files as $f) {
    run_file($f, $total);
}
echo $total['skipped'] > 0
    ? "{$total['passed']} passed, {$total['failed']} failed, {$total['skipped']} skipped\n"
    : "{$total['passed']} passed, {$total['failed']} failed\n";
exit($total['failed'] > 0 ? 1 : 0);
