/** Talking to the loopback receiver from a test: a fresh bucket, its script, what arrived. */
import type { RecordedRequest, Script } from "./receiver-types";

export type Hook = {
  /** The URL to register as a webhook. */
  url: string;
  script(script: Script): Promise<void>;
  received(): Promise<{ requests: RecordedRequest[]; maxOpen: number }>;
};

export function newHook(receiverUrl: string): Hook {
  const bucket = crypto.randomUUID();
  return {
    url: `${receiverUrl}/hooks/${bucket}`,
    async script(script) {
      const res = await fetch(`${receiverUrl}/control/${bucket}`, {
        method: "PUT",
        body: JSON.stringify(script),
      });
      if (res.status !== 204) throw new Error(`receiver refused the script: ${res.status}`);
    },
    async received() {
      const res = await fetch(`${receiverUrl}/control/${bucket}`);
      return (await res.json()) as { requests: RecordedRequest[]; maxOpen: number };
    },
  };
}
