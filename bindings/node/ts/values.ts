/**
 * Wrapper classes for values JavaScript has no native type for. They map onto the core's
 * value model (see the README's value mapping table); every engine recognises them.
 *
 * @packageDocumentation
 */

/** A float whose value happens to be integral (`new Float(1)` is written as `1.0`, not `1`). */
export class Float {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

/** A datetime with full precision: naive or with any UTC offset, microseconds, as ISO-8601
 * text (Python's `isoformat`). A `Date` maps to an aware UTC datetime in milliseconds. */
export class IsoDateTime {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** A calendar date, `YYYY-MM-DD` (Python `date`). */
export class LocalDate {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** A time of day, `HH:MM:SS[.ffffff][+HH:MM]` (Python `time`). */
export class LocalTime {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** A UUID (accepted in interop and default-mode key arguments). */
export class Uuid {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** A MessagePack extension value, as read from an entry written by another tool (never
 * written). */
export class Ext {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}
}

/** A map given as its entries, exactly: order kept and duplicate keys allowed (a `Map` or a
 * plain object cannot say either). The exact form of every map read back. */
export class MapEntries {
  constructor(readonly entries: [unknown, unknown][]) {}
}

const SOURCES = ['l1', 'redis', 'shared'] as const;

/** Builds the step of a hit (the engine calls it: one call instead of a dozen property
 * writes through Node-API); `json`, when given, is the value as JSON text. */
function hitStep(op: number, wake: number[] | undefined, value: unknown, json: string | undefined, source: number, refreshAhead: boolean) {
  return {
    op,
    wake,
    type: 'done' as const,
    outcome: { kind: 'hit' as const, value: json === undefined ? value : JSON.parse(json), source: SOURCES[source] ?? 'l1' },
    refreshAhead,
  };
}

/** Builds a command object (the engine calls it, by code; `ts/engine.ts` has the shapes). */
function command(code: number, a: unknown, b: unknown, c: unknown, d: unknown): unknown {
  switch (code) {
    case 0:
      return { name: 'get', key: a };
    case 1:
      return { name: 'getWithTtl', key: a };
    case 2:
      return { name: 'set', key: a, value: b, ttl: c };
    case 3:
      return { name: 'setNx', key: a, token: b, px: c };
    case 4:
      return { name: 'evalRelease', key: a, token: b, script: c, sha1: d };
    case 5:
      return { name: 'expire', key: a, ttl: b };
    case 6:
      return { name: 'del', keys: a };
    case 7:
      return { name: 'sadd', key: a, member: b, ttl: c };
    case 8:
      return { name: 'smembers', key: a };
    case 9:
      return { name: 'deleteMatching', pattern: a };
    case 10:
      return { name: 'exists', key: a };
    default:
      throw new Error(`unknown command code ${code}`);
  }
}

/** Builds the outcome of a finished operation that is not a hit (codes 30–36). */
function outcome(code: number, a: unknown): unknown {
  switch (code) {
    case 30:
      return { kind: 'miss' };
    case 31:
      return { kind: 'computed', cached: a };
    case 32:
      return { kind: 'stored', redis: a };
    case 33:
      return { kind: 'deleted', existed: a };
    case 34:
      return { kind: 'invalidated', redisKeys: a };
    case 35:
      return { kind: 'failed', error: a };
    case 36:
      return { kind: 'exists', found: a };
    default:
      throw new Error(`unknown outcome code ${code}`);
  }
}

/** Builds a step (the engine calls it): a send (codes 0–10, the command from `a`–`d`, the
 * command's timeout in ms),
 * compute (20), sleep (21: `a` delay, `b` token), or done (30–36: `a` the outcome's field,
 * `b` refreshAhead). One call and objects of one shape per kind, instead of property writes
 * through Node-API. */
function step(op: number, wake: number[] | undefined, code: number, a: unknown, b: unknown, c: unknown, d: unknown, timeout?: number) {
  if (code < 20) return { op, wake, type: 'send' as const, command: command(code, a, b, c, d), timeout };
  if (code === 20) return { op, wake, type: 'compute' as const };
  if (code === 21) return { op, wake, type: 'sleep' as const, delay: a, token: b };
  return { op, wake, type: 'done' as const, outcome: outcome(code, a), refreshAhead: b === true };
}

/** What the engines need to recognise and build these classes. */
export const valueRuntime = {
  objectPrototype: Object.prototype,
  Map,
  Set,
  arrayFrom: Array.from.bind(Array),
  Float,
  IsoDateTime,
  LocalDate,
  LocalTime,
  Uuid,
  Ext,
  MapEntries,
  hitStep,
  step,
  command,
};
