/**
 * The e2e rig: one relay, started as `npm start` starts it (server.ts), and
 * one loopback receiver for the test file, made in its beforeAll and stopped
 * in its afterAll, the relay's state directory removed with it. The relay
 * can be restarted on the same state and token: with other settings, or
 * after a SIGKILL of its whole process group (the crash tests).
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterAll, beforeAll } from "vitest";
import { type Hook, newHook } from "./hooks";
import { type Receiver, startReceiver } from "./receiver";
import { type Relay, relayApi, startRelay } from "./server";

export type Rig = {
  readonly relay: Relay;
  readonly receiver: Receiver;
  /** The API with the admin token, on the relay running now. */
  readonly api: ReturnType<typeof relayApi>;
  /** A fresh bucket on the receiver, to register as a webhook. */
  hook(): Hook;
  /** Stops the relay and starts another on its state and token, with these settings. */
  restart(env?: Record<string, string>): Promise<Relay>;
  /** SIGKILL to the relay's whole process group, then another on its state and token. */
  killAndRestart(): Promise<Relay>;
};

/** Registers the file's beforeAll and afterAll; `env` becomes the relay's settings (RELAY_*). */
export function useRelay(env: Record<string, string> = {}): Rig {
  let relay: Relay | undefined;
  let receiver: Receiver | undefined;
  let settings = env;
  const again = async (): Promise<Relay> => {
    relay = await startRelay({ persistTo: relay!.persistTo, token: relay!.token, env: settings });
    return relay;
  };
  beforeAll(async () => {
    [relay, receiver] = await Promise.all([startRelay({ env: settings }), startReceiver()]);
  });
  afterAll(async () => {
    await relay?.stop();
    await receiver?.close();
    // The state directory was made for this file alone.
    if (relay?.persistTo.startsWith(tmpdir())) await rm(relay.persistTo, { recursive: true, force: true });
  });
  return {
    get relay() {
      return relay!;
    },
    get receiver() {
      return receiver!;
    },
    get api() {
      return relayApi(relay!);
    },
    hook: () => newHook(receiver!.url),
    async restart(next = settings) {
      settings = next;
      await relay!.stop();
      return again();
    },
    async killAndRestart() {
      await relay!.kill("SIGKILL");
      return again();
    },
  };
}
