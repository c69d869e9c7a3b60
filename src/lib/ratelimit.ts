/**
 * A token bucket: `qps` tokens per second refill up to `burst`. `reserve()` takes a
 * token now and says how long the caller must wait until that token is really
 * available (0 when one was in the bucket), so callers never busy-wait and
 * reservations are handed out in order (client-go's BucketRateLimiter).
 *
 * Pure apart from the injectable clock.
 */

export interface TokenBucketOptions {
  /** Sustained rate, > 0; `Infinity` disables limiting. */
  qps: number;
  /** Tokens available at once; at least 1. */
  burst: number;
  /** Milliseconds clock; default Date.now. */
  now?: () => number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(options: TokenBucketOptions) {
    if (!(options.qps > 0)) throw new Error(`rate limit qps must be > 0 (got ${String(options.qps)})`);
    this.qps = options.qps;
    this.burst = Math.max(1, Math.floor(options.burst));
    this.now = options.now ?? Date.now;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Takes one token; returns the milliseconds to wait before using it. */
  reserve(): number {
    if (this.qps === Infinity) return 0;
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Tokens currently in the bucket (negative while reservations are outstanding). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
  }
}
