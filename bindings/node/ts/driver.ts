/**
 * The driver: runs an engine operation to its end. It executes commands (under the engine's
 * timeout), parks sleeps on timers keyed by wake token, runs computations and hands back the
 * outcome. It decides nothing.
 *
 * @packageDocumentation
 */

import type { Command, Engine, EngineError, Outcome, Reply, Step } from './engine';
import { execute, type RedisAdapter } from './redis';

/** Reports a cache-layer failure (a command error, an uncacheable value). */
export type Report = (error: EngineError, command?: Command) => void;

/** The result of a driven operation. */
export interface Driven {
  outcome: Outcome;
  /** The computed value, when a `compute` step ran. */
  computed?: unknown;
  /** True when a compute step ran and threw (`thrown` holds what it threw). */
  threw?: boolean;
  thrown?: unknown;
  refreshAhead?: boolean;
}

const TIMEOUT = Symbol('timeout');

/** Runs operations of one engine; shares the wake table between them. */
export class Driver {
  /** Sleeping operations by wake token. */
  private readonly sleepers = new Map<number, () => void>();

  constructor(
    private readonly engine: Engine,
    private readonly redis: RedisAdapter,
    private readonly report: Report,
  ) {}

  private wake(tokens: number[] | undefined): void {
    if (!tokens) return;
    for (const t of tokens) {
      const f = this.sleepers.get(t);
      if (f) {
        this.sleepers.delete(t);
        f();
      }
    }
  }

  private sleep(delay: number, token: number | null): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        if (token !== null && this.sleepers.get(token) === done) this.sleepers.delete(token);
        resolve();
      };
      if (token !== null) this.sleepers.set(token, done);
      timer = setTimeout(done, Math.max(0, delay));
    });
  }

  /** Executes a command under the engine's timeout: a reply, an error message, or a timeout. */
  async send(command: Command): Promise<{ reply: Reply } | { error: string | null }> {
    const ms = this.engine.commandTimeout();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), ms);
    });
    const run = execute(this.redis, command);
    try {
      const r = await Promise.race([run, timeout]);
      if (r === TIMEOUT) {
        run.catch(() => {});
        return { error: null };
      }
      return { reply: r };
    } catch (e) {
      return { error: e instanceof Error ? e.message || e.name : String(e) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fires a command without waiting (a lock release of an abandoned operation). */
  fireAndForget(command: Command): void {
    execute(this.redis, command).catch(() => {});
  }

  /** Drives an operation from its first step to its outcome. */
  async run(first: Step, compute?: () => unknown): Promise<Driven> {
    let step = first;
    const result: Partial<Driven> = {};
    let settled = false;
    try {
      for (;;) {
        this.wake(step.wake);
        if (step.uncacheable) this.report(step.uncacheable);
        switch (step.type) {
          case 'done':
            settled = true;
            result.outcome = step.outcome;
            if (step.refreshAhead) result.refreshAhead = true;
            return result as Driven;
          case 'send': {
            const command = step.command;
            const r = await this.send(command);
            if ('reply' in r) {
              step = this.engine.onReply(step.op, r.reply);
            } else {
              this.report(
                r.error === null
                  ? { code: 402, name: 'timeout', message: `${command.name} did not answer in time` }
                  : { code: 403, name: 'backend', message: r.error },
                command,
              );
              step = this.engine.onError(step.op, r.error);
            }
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
              step = this.engine.onComputeFailed(step.op, e instanceof Error ? e.message : String(e));
              break;
            }
            result.computed = value;
            step = this.engine.onComputed(step.op, value);
            break;
          }
          case 'sleep':
            await this.sleep(step.delay, step.token);
            step = this.engine.resume(step.op);
            break;
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
