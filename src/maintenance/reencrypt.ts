/**
 * @module `POST /v1/maintenance {"reencrypt": true}`: every webhook's secrets
 * and private keys that are under RELAY_ENCRYPTION_KEY_PREVIOUS rewritten
 * under the current RELAY_ENCRYPTION_KEY, so that the previous key can then
 * be dropped.
 */
import { getWebhook, listStoredCredentials, replaceStoredCredentials } from "../db/queries/webhooks";
import { resealed } from "../delivery/attempt/credentials";
import type { Deps } from "../deps";
import { secretBox, UnreadableSecretError } from "../security/secrets-at-rest";

const PAGE = 100;
/** A row rotated between our read and our write is read again, this many times. */
const TRIES = 3;

/**
 * How many webhooks had something rewritten. A row that opens with neither
 * key (tampered with, or sealed under a key since lost) is left as it is and
 * logged by id, so one bad row does not hold up the rest.
 */
export async function reencryptSecrets(deps: Pick<Deps, "db" | "settings" | "log">): Promise<number> {
  const box = secretBox(deps.settings);
  let rewritten = 0;
  let after = "";
  while (true) {
    const page = await listStoredCredentials(deps.db, after, PAGE);
    for (let row of page) {
      for (let attempt = 1; attempt <= TRIES; attempt++) {
        let changes: Awaited<ReturnType<typeof resealed>>;
        try {
          changes = await resealed(box, row);
        } catch (error) {
          if (!(error instanceof UnreadableSecretError)) throw error;
          deps.log("warn", "reencrypt: a webhook's secrets open with neither key", {
            webhook_id: row.id,
          });
          break;
        }
        if (!changes) break;
        if (await replaceStoredCredentials(deps.db, row, changes)) {
          rewritten += 1;
          break;
        }
        const fresh = await getWebhook(deps.db, row.id);
        if (!fresh) break;
        row = fresh;
      }
    }
    if (page.length < PAGE) return rewritten;
    after = page[page.length - 1]!.id;
  }
}
