/**
 * @module The per-webhook circuit breaker, as pure transitions. After
 * CIRCUIT_THRESHOLD consecutive failures the circuit opens: nothing is sent
 * until a cooldown passes, then a single probe goes; its success closes the
 * circuit (the backlog drains under max_in_flight again), its failure doubles
 * the cooldown: 30 s, 1, 2, 4 and 8 min, then 15 min for every later probe.
 * Only a failed probe lengthens it: attempts already in flight when the
 * circuit opened count as failures, but are not probes, so a short burst of
 * errors at max_in_flight 10 waits 30 s, not 15 min. Any success closes it.
 * Separately, `failingSince` tells when the webhook last stopped succeeding,
 * for the 5-day auto-disable.
 */

export const CIRCUIT_THRESHOLD = 5;
export const INITIAL_COOLDOWN_MS = 30_000;
export const MAX_COOLDOWN_MS = 15 * 60_000;
/** SPEC §5: a webhook with no success for 5 days is disabled (`failing`). */
export const FAILING_DISABLE_AFTER_MS = 5 * 86_400_000;

export type Circuit = {
  consecutiveFailures: number;
  /** Epoch ms until which the circuit stays open; null when closed. */
  openUntil: number | null;
  cooldownMs: number;
  /** Epoch ms of the first failure since the last success; null while succeeding. */
  failingSince: number | null;
};

export const CLOSED: Circuit = {
  consecutiveFailures: 0,
  openUntil: null,
  cooldownMs: INITIAL_COOLDOWN_MS,
  failingSince: null,
};

export function sameCircuit(a: Circuit, b: Circuit): boolean {
  return (
    a.consecutiveFailures === b.consecutiveFailures &&
    a.openUntil === b.openUntil &&
    a.cooldownMs === b.cooldownMs &&
    a.failingSince === b.failingSince
  );
}

/**
 * How many new attempts may start now. Closed: as many as `free`. Open and
 * cooling down: none. Open with the cooldown over: one probe, and only while
 * no other attempt is in flight.
 */
export function admit(circuit: Circuit, now: number, free: number, inFlight: number): number {
  if (circuit.openUntil === null) return free;
  if (now < circuit.openUntil || inFlight > 0) return 0;
  return Math.min(free, 1);
}

/**
 * The circuit after an attempt that finished at `now`; `probe` says the
 * attempt started while the circuit was open (admitted as its probe).
 */
export function recordResult(circuit: Circuit, success: boolean, now: number, probe: boolean): Circuit {
  if (success) return CLOSED;
  const consecutiveFailures = circuit.consecutiveFailures + 1;
  const failingSince = circuit.failingSince ?? now;
  if (circuit.openUntil !== null) {
    // Sent before it opened: one more failure, the cooldown stands.
    if (!probe) return { ...circuit, consecutiveFailures, failingSince };
    // A failed probe: stay open, wait longer before the next one.
    const cooldownMs = Math.min(circuit.cooldownMs * 2, MAX_COOLDOWN_MS);
    return { consecutiveFailures, failingSince, cooldownMs, openUntil: now + cooldownMs };
  }
  if (consecutiveFailures >= CIRCUIT_THRESHOLD) {
    return {
      consecutiveFailures,
      failingSince,
      cooldownMs: circuit.cooldownMs,
      openUntil: now + circuit.cooldownMs,
    };
  }
  return { ...circuit, consecutiveFailures, failingSince };
}

/** Whether the webhook has gone without a success for long enough to be disabled. */
export function isFailing(circuit: Circuit, now: number): boolean {
  return circuit.failingSince !== null && now - circuit.failingSince >= FAILING_DISABLE_AFTER_MS;
}
