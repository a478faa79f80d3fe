/**
 * The little of `cloudflare:workers` the floor Worker uses: bench/ is
 * type-checked with Node's types (tsconfig.node.json), not the Workers' ones.
 */
declare module "cloudflare:workers" {
  type SqlStorage = { exec(sql: string, ...values: unknown[]): { toArray(): Record<string, unknown>[] } };
  export type DurableObjectState = { storage: { sql: SqlStorage; sync(): Promise<void> } };
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}

/**
 * Workers' constant-time comparison, which src/lib/crypto.ts calls: the
 * benchmark imports the storage codec (bench/capacity.ts), whose ids reach it.
 */
interface SubtleCrypto {
  timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
}
