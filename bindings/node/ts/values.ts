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
};
