/** What the loopback receiver records and how it can be scripted; shared by Node and workerd tests. */

export type ScriptedResponse = {
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
};

export type Script = {
  /** Answers used in order, one per request; then `otherwise`. */
  responses?: ScriptedResponse[];
  otherwise?: ScriptedResponse;
};

export type RecordedRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
};
