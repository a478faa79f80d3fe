/**
 * @module The benchmark's bare queue Worker: what the relay's path costs
 * over the least a Worker on Queues can do. A publish sends one queue
 * message and answers 202; the consumer POSTs it to each of the M receiver
 * paths, and sends the ones that failed back to the queue for one more try
 * 1 s later, as the relay's retry policy in the benchmark does. No storage,
 * no signing, no history. Run by bench/run.ts on the same local runtime as
 * the relay (Miniflare, scripts/local-runtime.mjs).
 */

import { deliverBatch, type MessageBatch, type QueueProducer, type Task } from "./worker-shared";

type Env = {
  QUEUE: QueueProducer<Task>;
  RECEIVER_URL: string;
  WEBHOOKS: string;
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST") return new Response(null, { status: 404 });
    const id = crypto.randomUUID();
    const webhooks = Array.from({ length: Number(env.WEBHOOKS) }, (_, w) => w);
    await env.QUEUE.send({ id, body: await request.text(), webhooks });
    return Response.json({ id }, { status: 202 });
  },

  async queue(batch: MessageBatch<Task>, env: Env): Promise<void> {
    await deliverBatch(batch, env.QUEUE, (task, w) =>
      fetch(`${env.RECEIVER_URL}/hook/${w}`, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": `${task.id}_${w}` },
        body: task.body,
      })
        .then(async (res) => {
          await res.arrayBuffer();
          return res.ok;
        })
        .catch(() => false),
    );
    for (const message of batch.messages) message.ack();
  },
};
