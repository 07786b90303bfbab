/**
 * cachekit for Node.js: one Rust core, every language's cache.
 *
 * ```ts
 * import { createCache } from 'cachekit';
 * const cache = createCache({ redis: process.env.REDIS_URL, namespace: 'app' });
 * ```
 *
 * @packageDocumentation
 */

export * from './common';
