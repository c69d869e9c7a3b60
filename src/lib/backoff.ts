/**
 * Exponential backoff: `base * factor^attempt`, capped at `max`, with optional
 * "equal jitter" (the delay is drawn from [d·(1−jitter), d], so it never exceeds
 * the cap). `KeyedBackoff` keeps a failure count per key (the work queue's
 * per-profile retry delay), reset by `forget`.
 *
 * Pure apart from the injectable random source; no timers.
 */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Growth per failure; default 2. */
  factor?: number;
  /** 0 (none, the default) … 1 (anywhere between 0 and the delay). */
  jitter?: number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const factor = options.factor ?? 2;
  const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
  // A huge attempt count overflows to Infinity: treat it as the cap.
  const exponent = Math.max(attempt, 0);
  const raw = options.baseMs * Math.pow(factor, Math.min(exponent, 1024));
  const capped = Number.isFinite(raw) ? Math.min(raw, options.maxMs) : options.maxMs;
  if (jitter === 0) return capped;
  return capped * (1 - jitter) + capped * jitter * random();
}

/** Per-key failure counts and the resulting delays. */
export class KeyedBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return backoffDelay(attempt, this.options, this.random);
  }

  /** How many times `key` failed since it was last forgotten. */
  attempts(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets `key` (it succeeded, or it no longer exists). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many keys currently carry a failure count. */
  size(): number {
    return this.failures.size;
  }
}
