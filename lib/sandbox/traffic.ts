/**
 * Per-token in-flight accounting (the vendor's 2-simultaneous-requests rule, §3.3) and the traffic
 * statistics. Stats are printed in logs, so tokens appear only under short labels.
 */
export interface TrafficStats {
  maxInFlight: Map<string, number>;
  maxInFlightOverall: number;
  rejectedSimultaneous: number;
  connectionsOpened: number;
  requestsTotal: number;
}

function emptyStats(): TrafficStats {
  return {
    maxInFlight: new Map(),
    maxInFlightOverall: 0,
    rejectedSimultaneous: 0,
    connectionsOpened: 0,
    requestsTotal: 0,
  };
}

export class Traffic {
  #inFlight = new Map<string, number>();
  #overall = 0;
  /** Stable across `setTokens` and `reset` so a label means the same token for the whole run. */
  #labels = new Map<string, string>();
  stats: TrafficStats = emptyStats();

  /** A few leading characters (never more than half the token) plus a sequence number. */
  label(token: string): string {
    let label = this.#labels.get(token);
    if (label === undefined) {
      const shown = token.slice(0, Math.min(4, Math.floor(token.length / 2)));
      label = `${shown}…#${this.#labels.size + 1}`;
      this.#labels.set(token, label);
    }
    return label;
  }

  inFlight(token: string): number {
    return this.#inFlight.get(token) ?? 0;
  }

  /** Occupies a slot for `token`; the returned release is safe to call more than once. */
  enter(token: string): () => void {
    const now = this.inFlight(token) + 1;
    this.#inFlight.set(token, now);
    this.#overall += 1;
    const label = this.label(token);
    this.stats.maxInFlight.set(label, Math.max(this.stats.maxInFlight.get(label) ?? 0, now));
    this.stats.maxInFlightOverall = Math.max(this.stats.maxInFlightOverall, this.#overall);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight.set(token, this.inFlight(token) - 1);
      this.#overall -= 1;
    };
  }

  /** Clears the statistics; requests still in flight keep their slots. */
  resetStats(): void {
    this.stats = emptyStats();
  }
}
