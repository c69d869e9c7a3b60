/**
 * Another client keeps deleting or editing a managed NetworkPolicy (a second
 * controller, a GitOps tool with its own copy): healing every change at once
 * would be a hot loop between the two writers. This is netfence's own rate
 * limit of its heals, per policy:
 *
 * - Restores form a streak while each comes within `windowMs` of the one
 *   before. The first `freeHeals` of a streak are immediate; each later one
 *   waits an exponential backoff after the previous restore (1, 2, 4 s …),
 *   capped at `maxMs`, and stays at the cap while the fight lasts.
 * - The policy is contested from the first restore beyond the free ones (or
 *   from a restore being held back) until it has stayed put for `windowMs`
 *   after netfence's last restore; then the streak is forgotten.
 *
 * Pure apart from the injectable clock.
 */
import { backoffDelay } from "../lib/backoff.js";

export interface ContestOptions {
  /** Immediate restores at the start of a streak; default 2. */
  freeHeals?: number;
  /** How long a policy must stay put to end a streak (and its contest); default 20 s. */
  windowMs?: number;
  baseMs?: number;
  /** The cap: a contested policy is still restored at least this often; default 8 s. */
  maxMs?: number;
  now?: () => number;
}

interface Streak {
  /** Restores in the streak. */
  heals: number;
  /** When the last of them was written. */
  last: number;
  /** Until when a restore is being held back (set by `wait`). */
  heldUntil?: number;
}

export class DriftContest {
  private readonly streaks = new Map<string, Streak>();
  private readonly freeHeals: number;
  private readonly windowMs: number;
  private readonly baseMs: number;
  readonly maxMs: number;
  private readonly now: () => number;

  constructor(options: ContestOptions = {}) {
    this.freeHeals = options.freeHeals ?? 2;
    this.windowMs = options.windowMs ?? 20_000;
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = options.maxMs ?? 8000;
    this.now = options.now ?? Date.now;
  }

  /** The streak of `key`, unless the policy has stayed put for the window since its last restore. */
  private streak(key: string): Streak | undefined {
    const s = this.streaks.get(key);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.last >= this.windowMs && (s.heldUntil ?? 0) <= now) {
      this.streaks.delete(key);
      return undefined;
    }
    return s;
  }

  /** Milliseconds to hold back the heal of `key` (0: heal now). */
  wait(key: string): number {
    const s = this.streak(key);
    if (!s || s.heals < this.freeHeals) return 0;
    const delay = backoffDelay(s.heals - this.freeHeals, { baseMs: this.baseMs, maxMs: this.maxMs });
    const left = s.last + delay - this.now();
    if (left > 0) s.heldUntil = s.last + delay;
    return Math.max(0, left);
  }

  /** netfence restored `key`. */
  healed(key: string): void {
    const s = this.streak(key);
    if (s) {
      s.heals++;
      s.last = this.now();
      delete s.heldUntil;
    } else {
      this.streaks.set(key, { heals: 1, last: this.now() });
    }
  }

  /** Restored more than the free heals in the current streak, or a restore is being held back. */
  contested(key: string): boolean {
    const s = this.streak(key);
    return s !== undefined && (s.heals > this.freeHeals || (s.heldUntil ?? 0) > this.now());
  }

  /** Every key contested now (few: a pass checks these instead of every policy it keeps). */
  contestedKeys(): string[] {
    return [...this.streaks.keys()].filter((key) => this.contested(key));
  }

  /** Drops the streaks of one profile (keys `<prefix>/…`). */
  forget(prefix: string): void {
    for (const key of this.streaks.keys()) if (key.startsWith(`${prefix}/`)) this.streaks.delete(key);
  }

  /** When `key` stops counting as contested if nothing else happens (ms from now), or undefined. */
  quietIn(key: string): number | undefined {
    const s = this.streak(key);
    if (!s || !this.contested(key)) return undefined;
    // Beyond the free heals: the window after the last restore; otherwise only the held-back restore counts.
    const until = s.heals > this.freeHeals ? s.last + this.windowMs : (s.heldUntil ?? this.now());
    return Math.max(0, until - this.now()) + 10;
  }
}
