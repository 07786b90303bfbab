// Builds the napi addon with plain cargo (release) and copies it next to package.json as
// cachekit.node. CARGO_TARGET_DIR is honoured; CACHEKIT_ADDON_PROFILE=dev builds a debug addon.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '..', '..');
const profile = process.env.CACHEKIT_ADDON_PROFILE === 'dev' ? 'dev' : 'release';
const args = ['build', '--quiet', '-p', 'cachekit-node', '--manifest-path', join(root, 'Cargo.toml')];
if (profile === 'release') args.push('--release');
execFileSync('cargo', args, { stdio: 'inherit' });
const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
const dir = join(target, profile === 'release' ? 'release' : 'debug');
const lib = ['libcachekit_node.so', 'libcachekit_node.dylib', 'cachekit_node.dll'].map((f) => join(dir, f)).find(existsSync);
if (!lib) throw new Error(`no addon library found in ${dir}`);
copyFileSync(lib, join(pkg, 'cachekit.node'));
console.log(`cachekit.node <- ${lib}`);
