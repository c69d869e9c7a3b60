/**
 * Another client keeps deleting or editing a managed NetworkPolicy (a second
 * controller, a GitOps tool with its own copy): healing every change at once
 * would be a hot loop between the two writers. The first few heals of a
 * policy are immediate; after that each heal waits an exponential backoff
 * since the previous one, capped, and the policy counts as contested (status:
 * Conflict, so Degraded=True) until it has stayed put for a while.
 *
 * Pure apart from the injectable clock.
 */
import { backoffDelay } from "../lib/backoff.js";

export interface ContestOptions {
  /** Heals within `windowMs` before backoff applies; default 2. */
  freeHeals?: number;
  /** Default 20 s. */
  windowMs?: number;
  baseMs?: number;
  /** The cap: a contested policy is still restored at least this often; default 8 s. */
  maxMs?: number;
  now?: () => number;
}

interface History {
  heals: number[];
  /** Set while a heal is being held back. */
  deferredSince?: number;
}

export class DriftContest {
  private readonly history = new Map<string, History>();
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

  private recent(key: string): History | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    const since = this.now() - this.windowMs;
    h.heals = h.heals.filter((t) => t > since);
    if (h.heals.length === 0 && h.deferredSince === undefined) {
      this.history.delete(key);
      return undefined;
    }
    return h;
  }

  /** Milliseconds to hold back the heal of `key` (0: heal now). */
  wait(key: string): number {
    const h = this.recent(key);
    if (!h || h.heals.length < this.freeHeals) return 0;
    const last = h.heals[h.heals.length - 1] ?? 0;
    const delay = backoffDelay(h.heals.length - this.freeHeals, { baseMs: this.baseMs, maxMs: this.maxMs });
    const left = last + delay - this.now();
    if (left > 0) h.deferredSince ??= this.now();
    return Math.max(0, left);
  }

  healed(key: string): void {
    let h = this.history.get(key);
    if (!h) this.history.set(key, (h = { heals: [] }));
    h.heals.push(this.now());
    h.deferredSince = undefined;
  }

  /** Healed more than the free heals within the window, or held back now. */
  contested(key: string): boolean {
    const h = this.recent(key);
    return h !== undefined && (h.deferredSince !== undefined || h.heals.length > this.freeHeals);
  }

  /** Every key contested now (few: a pass checks these instead of every policy it keeps). */
  contestedKeys(): string[] {
    return [...this.history.keys()].filter((key) => this.contested(key));
  }

  /** When `key` stops counting as contested if nothing else happens (ms from now), or undefined. */
  quietIn(key: string): number | undefined {
    const h = this.recent(key);
    if (!h || !this.contested(key)) return undefined;
    const oldest = h.heals[h.heals.length - this.freeHeals - 1] ?? h.heals[0] ?? this.now();
    return Math.max(0, oldest + this.windowMs - this.now()) + 10;
  }
}
