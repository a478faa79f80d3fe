/**
 * @module `--profile`: a CPU profile of the relay's Worker isolate (its
 * handlers and Durable Objects) in the middle of a run, taken through
 * workerd's inspector as Chrome DevTools takes one, and folded by source
 * module. The profiler slows the relay, so a profiled run's rates are not
 * figures to compare; its shares are.
 */

/** What the DevTools protocol answers for `Profiler.stop`. */
export type CpuProfile = {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
};

/** A share of the busy samples, and what it belongs to. */
export type ProfileShare = { name: string; samples: number; share: number };

/**
 * Waits `delayMs`, then samples the isolate named `target` (workerd names a
 * Worker's isolate `core:user:<name>`) for `seconds` and answers the profile.
 */
export async function captureCpuProfile(options: {
  inspectorPort: number;
  target: string;
  delayMs: number;
  seconds: number;
}): Promise<CpuProfile> {
  await new Promise((r) => setTimeout(r, options.delayMs));
  const listed = (await (
    await fetch(`http://127.0.0.1:${options.inspectorPort}/json/list`)
  ).json()) as { id: string; webSocketDebuggerUrl: string }[];
  // By the exact id: "core:user:hookrelay" is also the start of its assets' isolate's name.
  const found = listed.find((t) => t.id === options.target);
  if (!found) throw new Error(`the inspector lists no isolate named ${options.target}`);
  const socket = new WebSocket(found.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  const answers = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id === undefined) return;
    answers.get(message.id)?.(message.result);
    answers.delete(message.id);
  });
  let nextId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = ++nextId;
      answers.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("Profiler.enable");
    // µs; workerd keeps fewer samples than asked, and unevenly (docs/BENCHMARKS.md).
    await call("Profiler.setSamplingInterval", { interval: 500 });
    await call("Profiler.start");
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
    const { profile } = (await call("Profiler.stop")) as { profile: CpuProfile };
    return profile;
  } finally {
    socket.close();
  }
}

/**
 * Self time by source module: each sample goes to the module of the bundle
 * line its function starts on (esbuild marks each module with a
 * `// src/…` or `// node_modules/…` comment), or to the runtime's own name
 * for native code, the garbage collector and workerd's internal modules.
 * Idle samples are left out, so shares are of the isolate's busy time.
 */
export function foldByModule(profile: CpuProfile, bundle: string): ProfileShare[] {
  const moduleOfLine: string[] = [];
  let current = "(bundle)";
  bundle.split("\n").forEach((line, index) => {
    const marker = /^\/\/ ((?:src|node_modules)\/\S+)/.exec(line)?.[1];
    if (marker) current = packageOf(marker);
    moduleOfLine[index] = current;
  });
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = nodes.get(id);
    if (!frame || frame.functionName === "(idle)") continue;
    busy += 1;
    const name =
      frame.url.endsWith(".js") && !frame.url.startsWith("cloudflare-internal:")
        ? (moduleOfLine[frame.lineNumber] ?? "(bundle)")
        : frame.url || frame.functionName || "(native)";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .map(([name, samples]) => ({ name, samples, share: busy ? samples / busy : 0 }))
    .sort((a, b) => b.samples - a.samples);
}

/** `src/…` as it is; a dependency by its package's name. */
function packageOf(path: string): string {
  const dependency = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
  return dependency ?? path;
}
