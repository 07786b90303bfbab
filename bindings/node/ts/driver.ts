/**
 * The driver: runs an engine operation to its end. It executes commands (under the engine's
 * timeout), parks sleeps on timers keyed by wake token, runs computations and hands back the
 * outcome. It decides nothing.
 *
 * @packageDocumentation
 */

import type { Command, Engine, EngineError, FastStart, Outcome, PlainRead, Reply, Step } from './engine';
import { execute, type RedisAdapter } from './redis';

/** Reports a cache-layer failure (a command error, an unreadable entry, an uncacheable value):
 * the error, the cache method it happened in (`get`, `getOrSet`, …), the Redis key of that
 * call if it has one, and the Redis command when one failed. */
export type Report = (error: EngineError, operation: string, key: string | undefined, command?: Command) => void;

/** The result of a driven operation. */
export interface Driven {
  outcome: Outcome;
  /** The computed value, when a `compute` step ran. */
  computed?: unknown;
  /** True when a compute step ran and threw (`thrown` holds what it threw). */
  threw?: boolean;
  thrown?: unknown;
  refreshAhead?: boolean;
  /** What the single-flight leader this operation followed threw, when its failure woke this
   * operation (the outcome is then `compute_failed`). */
  shared?: { thrown: unknown };
}

/** Refusals by an open breaker or by backpressure reach the report at most this often. */
const REJECTION_REPORT_MS = 1000;

/** The outcome of a Redis hit returned as its value alone (JSON text or `[value]`). */
function redisHit(v: string | [unknown]): Outcome {
  return { kind: 'hit', value: typeof v === 'string' ? JSON.parse(v) : v[0], source: 'redis' };
}

/** A command that failed (`message`) or timed out (`message` null). */
class SendFailure {
  constructor(readonly message: string | null) {}
}

const TIMED_OUT = new SendFailure(null);

function failure(e: unknown): SendFailure {
  return new SendFailure(e instanceof Error ? e.message || e.name : String(e));
}

/** A command on the wire: its deadline and how to settle its caller. */
interface Pending {
  deadline: number;
  settle: (r: Reply | SendFailure) => void;
  /** Its index in the driver's `pending` list; -1 once it left (answered or timed out). */
  at: number;
}

/** How long the driver reuses the engine's command timeout before asking again. The engine's
 * figure is a P99 it recomputes only every 64 samples or 1 s, and asking is a native call on
 * every command. */
const TIMEOUT_REREAD_MS = 50;

/** Whether a timer keeps Node's event loop alive. Only Node's (and Bun's and Deno's) timers are
 * objects with `ref`/`unref`; browsers and Workers return a number, and there is no process to
 * hold open. */
function setRef(timer: ReturnType<typeof setTimeout>, on: boolean): void {
  const t = timer as { ref?: () => unknown; unref?: () => unknown };
  if (on) t.ref?.();
  else t.unref?.();
}

/** Runs operations of one engine; shares the wake table between them. */
export class Driver {
  /** Sleeping operations by wake token; woken with the reason, if any. */
  private readonly sleepers = new Map<number, (reason?: { thrown: unknown }) => void>();
  /** Refusals not reported yet, and when the last report went out. */
  private refused = 0;
  private refusedReportedAt = -Infinity;
  /** Commands on the wire, in no order (one leaves by swapping the last into its place: no
   * set to grow, rehash or allocate per command). One timer watches all their deadlines (armed
   * for the earliest, re-armed when it fires) instead of a timer per command. */
  private readonly pending: Pending[] = [];
  /** The engine's command timeout and when it was read (see {@link TIMEOUT_REREAD_MS}). */
  private timeoutMs = 0;
  private timeoutReadAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private timerRefed = false;

  constructor(
    private readonly engine: Engine,
    private readonly redis: RedisAdapter,
    private readonly report: Report,
  ) {}

  private wake(tokens: number[] | undefined, reason?: { thrown: unknown }): void {
    if (!tokens) return;
    for (const t of tokens) {
      const f = this.sleepers.get(t);
      if (f) {
        this.sleepers.delete(t);
        f(reason);
      }
    }
  }

  private sleep(delay: number, token: number | null): Promise<{ thrown: unknown } | undefined> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (reason?: { thrown: unknown }) => {
        if (timer !== undefined) clearTimeout(timer);
        if (token !== null && this.sleepers.get(token) === done) this.sleepers.delete(token);
        resolve(reason);
      };
      if (token !== null) this.sleepers.set(token, done);
      timer = setTimeout(done, Math.max(0, delay));
    });
  }

  /** Reports a refusal by the breaker or backpressure, at most once per
   * {@link REJECTION_REPORT_MS} (an open breaker refuses every call; the metrics count each). */
  private refusal(e: EngineError, operation: string, key: string | undefined): void {
    this.refused++;
    const now = Date.now();
    if (now - this.refusedReportedAt < REJECTION_REPORT_MS) return;
    const n = this.refused;
    this.refused = 0;
    this.refusedReportedAt = now;
    this.report(n > 1 ? { ...e, message: `${e.message} (${n} refusals since the last report)` } : e, operation, key);
  }

  /** Settles a step that is already `done` (wakes, reports) and returns its outcome;
   * `operation` and `key` say which call it belongs to, for reports. */
  finish(step: Step & { type: 'done' }, operation: string, key?: string): Outcome {
    this.wake(step.wake);
    this.reportStep(step, operation, key);
    return step.outcome;
  }

  /** Reports what a step carries: a failure the engine absorbed, a refusal. */
  private reportStep(step: Step, operation: string, key: string | undefined): void {
    if (step.failure) this.report(step.failure, operation, key);
    if (step.rejected) this.refusal(step.rejected, operation, key);
  }

  /** Times out the commands past their deadline and re-arms for the next one. */
  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    // Backwards: a removal swaps in an entry already looked at.
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      if (p.deadline <= now) {
        this.leave(p);
        p.settle(TIMED_OUT);
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next !== Infinity) this.arm(next, now);
  };

  private arm(deadline: number, now: number): void {
    if (this.timer !== undefined && this.timerAt <= deadline) {
      // The timer fires no later than this deadline; it only has to keep the process alive.
      if (!this.timerRefed) {
        setRef(this.timer, true);
        this.timerRefed = true;
      }
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.sweep, Math.max(0, deadline - now));
    this.timerRefed = true;
  }

  /** Takes `p` off the list of commands on the wire; false when it left already. */
  private leave(p: Pending): boolean {
    if (p.at < 0) return false;
    const last = this.pending.pop()!;
    if (last !== p) {
      this.pending[p.at] = last;
      last.at = p.at;
    }
    p.at = -1;
    return true;
  }

  private finished(p: Pending): boolean {
    if (!this.leave(p)) return false; // timed out already
    if (this.pending.length === 0 && this.timer !== undefined && this.timerRefed) {
      // Nothing on the wire: the timer must not hold the process open.
      setRef(this.timer, false);
      this.timerRefed = false;
    }
    return true;
  }

  /** Executes a command under the engine's timeout: its reply, or a {@link SendFailure}
   * (an error message, or `null` for a timeout). */
  send(command: Command, timeout?: number): Promise<Reply | SendFailure> {
    return new Promise<Reply | SendFailure>((settle) => this.watch(command, timeout, settle));
  }

  /** Executes a command and calls `settle` once: with its reply, or with a
   * {@link SendFailure} when it fails or outlives `timeout` ms (a late reply is ignored;
   * without `timeout`, the engine's). */
  private watch(command: Command, timeout: number | undefined, settle: (r: Reply | SendFailure) => void): void {
    let run: Promise<Reply>;
    try {
      run = execute(this.redis, command);
    } catch (e) {
      settle(failure(e));
      return;
    }
    const now = Date.now();
    if (timeout === undefined) {
      if (now - this.timeoutReadAt >= TIMEOUT_REREAD_MS) {
        this.timeoutMs = this.engine.commandTimeout();
        this.timeoutReadAt = now;
      }
      timeout = this.timeoutMs;
    }
    const p: Pending = { deadline: now + timeout, settle, at: this.pending.length };
    this.pending.push(p);
    this.arm(p.deadline, now);
    run.then(
      (reply) => {
        if (this.finished(p)) settle(reply);
      },
      (e: unknown) => {
        if (this.finished(p)) settle(failure(e));
      },
    );
  }

  /** Fires a command without waiting (a lock release of an abandoned operation). */
  fireAndForget(command: Command): void {
    execute(this.redis, command).catch(() => {});
  }

  /** Hands a command's result to the engine: a reply goes to `onReplyFast` (a hit that needs
   * nothing more comes back as its value alone); a failure goes to `onError` first (latency,
   * breaker and slot settled before any hook runs), then to the `onError` hook, unless the
   * call ends by throwing it. */
  private answer(op: number, command: Command, r: Reply | SendFailure, operation: string, key: string | undefined): FastStart {
    if (!(r instanceof SendFailure)) return this.engine.onReplyFast(op, r);
    const next = this.engine.onError(op, r.message);
    if (!(typeof next === 'object' && !Array.isArray(next) && next.type === 'done' && next.outcome.kind === 'failed')) {
      this.report(
        r.message === null
          ? { code: 402, name: 'timeout', message: `${command.name} did not answer in time` }
          : { code: 403, name: 'backend', message: r.message },
        operation,
        key,
        command,
      );
    }
    return next;
  }

  /**
   * Drives a {@link PlainRead} of `key` (the usual L2 path of `get`) and settles with `map`
   * of its outcome: one promise for the round trip, no step objects; a Redis hit is its value
   * alone, and anything else continues in {@link run}. `map` may throw (a failed outcome):
   * the promise rejects with that.
   */
  readPlain<T>(read: PlainRead, key: string, map: (o: Outcome) => T): Promise<T> {
    const op = Math.abs(read);
    const command: Command = read > 0 ? { name: 'get', key } : { name: 'getWithTtl', key };
    return new Promise<T>((resolve, reject) => {
      this.watch(command, undefined, (r) => {
        try {
          let next: FastStart;
          try {
            next = this.answer(op, command, r, 'get', key);
          } catch (e) {
            this.wake(this.engine.abandon(op).wake);
            throw e;
          }
          if (typeof next === 'string' || Array.isArray(next)) resolve(map(redisHit(next)));
          else resolve(this.run(next, 'get', key).then((d) => map(d.outcome)));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** Drives an operation from its first step to its outcome; `operation` and `key` say which
   * call it is, for reports. */
  async run(first: Step, operation: string, key: string | undefined, compute?: () => unknown): Promise<Driven> {
    let step = first;
    const result: Partial<Driven> = {};
    let settled = false;
    let failed: { thrown: unknown } | undefined;
    try {
      for (;;) {
        // Followers woken by this operation's failed computation learn what it threw.
        this.wake(step.wake, failed);
        failed = undefined;
        this.reportStep(step, operation, key);
        switch (step.type) {
          case 'done':
            settled = true;
            result.outcome = step.outcome;
            if (step.refreshAhead) result.refreshAhead = true;
            return result as Driven;
          case 'send': {
            const next = this.answer(step.op, step.command, await this.send(step.command, step.timeout), operation, key);
            if (typeof next === 'string' || Array.isArray(next)) {
              // A Redis hit with nothing left to do: its value alone, no step object.
              settled = true;
              result.outcome = redisHit(next);
              return result as Driven;
            }
            step = next;
            break;
          }
          case 'compute': {
            if (!compute) {
              step = this.engine.onComputeFailed(step.op, 'no computation given');
              break;
            }
            let value: unknown;
            try {
              value = await compute();
            } catch (e) {
              result.threw = true;
              result.thrown = e;
              failed = { thrown: e };
              step = this.engine.onComputeFailed(step.op, e instanceof Error ? e.message : String(e));
              break;
            }
            result.computed = value;
            step = this.engine.onComputed(step.op, value);
            break;
          }
          case 'sleep': {
            const reason = await this.sleep(step.delay, step.token);
            if (reason) result.shared = reason;
            step = this.engine.resume(step.op);
            break;
          }
        }
      }
    } finally {
      if (!settled) {
        const { wake, release } = this.engine.abandon(step.op);
        this.wake(wake);
        if (release) this.fireAndForget(release);
      }
    }
  }
}
