<?php
declare(strict_types=1);

if (!extension_loaded('cachekit-php')) {
    fwrite(STDERR, "the cachekit extension is not loaded (run bindings/php/test.sh)\n");
    exit(1);
}
require_once '/usr/share/php/Psr/SimpleCache/autoload.php';
require_once __DIR__ . '/../lib/Psr16Cache.php';
require_once __DIR__ . '/Support.php';
