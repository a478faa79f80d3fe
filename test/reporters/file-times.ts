/**
 * @module A vitest reporter that prints, after the run, how long each test
 * file took (its setup, import and tests), slowest first, and their sum, so
 * that the next slow file is seen in CI's log before it slows everyone down.
 */
import type { Reporter, TestModule } from "vitest/node";

/** Files faster than this are summed in one line rather than listed. */
const LISTED_FROM_MS = 1_000;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export default class FileTimes implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const times = testModules
      .map((module) => {
        const d = module.diagnostic();
        const ms = d.environmentSetupDuration + d.prepareDuration + d.setupDuration + d.collectDuration + d.duration;
        return { file: `${module.project.name}  ${module.relativeModuleId}`, ms };
      })
      .sort((a, b) => b.ms - a.ms);
    if (times.length === 0) return;
    const total = times.reduce((sum, t) => sum + t.ms, 0);
    const listed = times.filter((t) => t.ms >= LISTED_FROM_MS);
    const rest = times.slice(listed.length);
    const lines = ["", "Time per test file, slowest first:"];
    for (const t of listed) lines.push(`${seconds(t.ms).padStart(9)}  ${t.file}`);
    if (rest.length > 0) {
      const restMs = rest.reduce((sum, t) => sum + t.ms, 0);
      lines.push(`${seconds(restMs).padStart(9)}  ${rest.length} files under ${seconds(LISTED_FROM_MS)} each`);
    }
    lines.push(`${seconds(total).padStart(9)}  all ${times.length} files (the sum; files run side by side)`, "");
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
