/**
 * @module An R2 bucket that counts what it costs, in the classes R2 bills:
 * Class A (writes, lists), Class B (reads); deletes are free. The benchmark
 * prices a delivery from these counts (GET /v1/usage).
 */
import type { Usage } from "../lib/usage";

function sizeOf(value: unknown): number {
  if (typeof value === "string") return new TextEncoder().encode(value).byteLength;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value.byteLength;
  return 0;
}

export function meterR2(bucket: R2Bucket, usage: Usage["r2"]): R2Bucket {
  const metered: Pick<R2Bucket, "put" | "get" | "head" | "list" | "delete"> = {
    put: ((key: string, value: unknown, options?: R2PutOptions) => {
      usage.classA += 1;
      usage.bytesWritten += sizeOf(value);
      return bucket.put(key, value as ArrayBuffer, options);
    }) as R2Bucket["put"],
    get: ((key: string, options?: R2GetOptions) => {
      usage.classB += 1;
      return bucket.get(key, options);
    }) as R2Bucket["get"],
    head: (key) => {
      usage.classB += 1;
      return bucket.head(key);
    },
    list: (options) => {
      usage.classA += 1;
      return bucket.list(options);
    },
    delete: (keys) => bucket.delete(keys),
  };
  return metered as R2Bucket;
}
