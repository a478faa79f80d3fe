/** @module What every view receives from the shell in main.ts. */
import type { Client } from "../connection";

export type Crumb = { label: string; href?: string };

export type ViewContext = {
  client: Client;
  /** The element the view fills. */
  main: HTMLElement;
  setCrumbs(crumbs: Crumb[]): void;
  /** False once the person has moved to another view: timers and late answers stop there. */
  isCurrent(): boolean;
  /** Runs when the view is left (timers, observers). */
  onLeave(cleanup: () => void): void;
};

/** Calls `tick` every `ms` while the view is current; `tick` returns false to stop. */
export function poll(context: ViewContext, ms: number, tick: () => Promise<boolean>): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  const schedule = () => {
    timer = setTimeout(async () => {
      if (stopped || !context.isCurrent()) return;
      let again: boolean;
      try {
        again = await tick();
      } catch {
        // A failed refresh keeps the last good view; the next tick tries again.
        again = true;
      }
      if (again && !stopped && context.isCurrent()) schedule();
    }, ms);
  };
  schedule();
  context.onLeave(stop);
  return stop;
}
