import type { Logger } from '../../../core';

/**
 * Logging of bad frames under a flood: the first `perWindow` bad frames of each window are
 * logged with their context, the rest are only counted and summed up in one line when the
 * window ends. Counting (stats, metrics) is separate and never sampled.
 */
export class BadFrameLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 10_000,
    private readonly perWindow = 5,
  ) {}

  report(reason: string, context: Record<string, unknown>, now = Date.now()): void {
    if (now - this.windowStart >= this.windowMs) this.rollOver(now);
    if (this.logged < this.perWindow) {
      this.logged += 1;
      this.logger.warn({ ...context, reason }, 'bad bridge frame skipped (counted; the connection stays open)');
      return;
    }
    this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
  }

  /** Ends the window if it is over (called by the server's sweep, so a summary is never held back long). */
  tick(now = Date.now()): void {
    if (now - this.windowStart >= this.windowMs) this.rollOver(now);
  }

  flush(): void {
    if (this.suppressed.size === 0) return;
    const byReason = Object.fromEntries(this.suppressed);
    const total = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
    this.suppressed.clear();
    this.logger.warn({ suppressed: total, byReason }, 'more bad bridge frames skipped; their log lines were suppressed');
  }

  private rollOver(now: number): void {
    this.flush();
    this.windowStart = now;
    this.logged = 0;
  }
}

/** The start of a bad line for a log, with a token value masked (a malformed hello may carry one). */
export function lineSample(line: string, max = 80): string {
  const masked = line.replace(/("token"\s*:\s*")[^"]*"?/g, '$1[redacted]"');
  return masked.length > max ? `${masked.slice(0, max)}…` : masked;
}
