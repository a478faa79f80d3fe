/** What the loopback receiver records and how it can be scripted; shared by Node and workerd tests. */

export type ScriptedResponse = {
  status?: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Sends the headers at once, then the body one byte every `dripMs` (a slow body). */
  dripMs?: number;
};

export type Script = {
  /** Answers chosen by the request's body: the first rule whose text the body contains; before `responses`. */
  when?: { bodyIncludes: string; response: ScriptedResponse }[];
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
