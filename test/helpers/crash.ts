/**
 * What the crash tests share: one receiver for the file, and a relay that is
 * SIGKILLed with its whole process group and started again on the same state
 * and token. Registers the file's beforeAll and afterAll.
 */
import { afterAll, beforeAll } from "vitest";
import { type Receiver, startReceiver } from "./receiver";
import { type Relay, startRelay } from "./server";

export function crashRig(env: Record<string, string> = {}) {
  let receiver: Receiver | undefined;
  let relay: Relay | undefined;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await relay?.stop();
    await receiver?.close();
  });
  return {
    get receiver(): Receiver {
      return receiver!;
    },
    async start(): Promise<Relay> {
      relay = await startRelay({ env });
      return relay;
    },
    /** SIGKILL to the relay's whole group, then a new relay on its state. */
    async killAndRestart(): Promise<Relay> {
      const killed = relay!;
      await killed.kill("SIGKILL");
      relay = await startRelay({ persistTo: killed.persistTo, token: killed.token, env });
      return relay;
    },
  };
}
