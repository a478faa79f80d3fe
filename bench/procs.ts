/**
 * @module The relay's processes as /proc shows them (Linux), for the
 * benchmark and the soak: CPU seconds, the busiest workerd thread, open file
 * descriptors and resident memory of a process group, sampled while it runs.
 */
import { readdirSync, readFileSync } from "node:fs";

/** How often a process group's descriptors and memory are sampled. */
const SAMPLE_MS = 250;
/** Bytes in a page, as /proc/<pid>/statm counts them. */
const PAGE_BYTES = 4096;

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

/** A /proc stat line's fields after the command's name (state, ppid, pgrp, …); the name may hold spaces. */
const fieldsAfterName = (stat: string) => stat.slice(stat.lastIndexOf(")") + 2).split(" ");

/** Every live process: its pid, its name, and its stat fields after the name. */
function* processes(): Generator<{ pid: number; name: string; fields: string[] }> {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      yield {
        pid: Number(entry),
        name: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
        fields: fieldsAfterName(stat),
      };
    } catch {
      // The process ended while we looked.
    }
  }
}

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds from /proc stat fields (after the name). */
const cpuOf = (fields: string[]) => (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;

/** CPU seconds of every live process whose stat fields and name pass `include`. */
function cpuSecondsOf(include: (fields: string[], name: string) => boolean): number {
  let seconds = 0;
  for (const { name, fields } of processes()) if (include(fields, name)) seconds += cpuOf(fields);
  return seconds;
}

/** CPU seconds of every live process in the relay's process group, or of its workerd alone. */
export function groupCpuSeconds(pgid: number, workerdOnly = false): number {
  return cpuSecondsOf(
    (fields, name) => Number(fields[2]) === pgid && (!workerdOnly || name === "workerd"),
  );
}

/** CPU seconds of this process's children: the bare Worker's workerd, which Miniflare runs. */
export function childrenCpuSeconds(): number {
  return cpuSecondsOf((fields, name) => Number(fields[1]) === process.pid && name === "workerd");
}

/** Pids of every live process in a process group. */
export function groupPids(pgid: number): number[] {
  return [...processes()].filter(({ fields }) => Number(fields[2]) === pgid).map(({ pid }) => pid);
}

/** CPU seconds of each thread of a process, by thread id. */
function threadCpuSeconds(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // Gone.
  }
  for (const tid of tids) {
    try {
      threads.set(Number(tid), cpuOf(fieldsAfterName(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"))));
    } catch {
      // The thread ended while we looked.
    }
  }
  return threads;
}

/**
 * Watches the threads of the (first) workerd that `include` picks; `stop`
 * answers the busiest one's CPU as a share of the time since. workerd runs
 * every isolate of a process (the Worker, its objects, Miniflare's own) on
 * one thread, so a share near 1 means that thread is what bounds the run.
 */
export function watchBusiestThread(include: (fields: string[]) => boolean) {
  const pid = [...processes()].find(({ name, fields }) => name === "workerd" && include(fields))?.pid;
  const before = pid === undefined ? new Map<number, number>() : threadCpuSeconds(pid);
  const started = Date.now();
  return {
    stop(): number | null {
      if (pid === undefined) return null;
      let busiest = 0;
      for (const [tid, seconds] of threadCpuSeconds(pid)) {
        busiest = Math.max(busiest, seconds - (before.get(tid) ?? 0));
      }
      return round(busiest / ((Date.now() - started) / 1000), 2);
    },
  };
}

/** Open file descriptors of a process group, summed over its processes (sockets included). */
export function groupOpenFds(pgid: number): number {
  let fds = 0;
  for (const pid of groupPids(pgid)) {
    try {
      fds += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return fds;
}

/** Resident memory of a process group, summed over its processes, in bytes. */
export function groupRssBytes(pgid: number): number {
  let pages = 0;
  for (const pid of groupPids(pgid)) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    } catch {
      // Gone.
    }
  }
  return pages * PAGE_BYTES;
}

/**
 * Samples the process group `pgid()` names at each moment (it changes when
 * the relay is restarted) until stopped: the most open file descriptors
 * (sockets included) and the most resident memory seen.
 */
export function samplePeaks(pgid: () => number | undefined) {
  let fds = 0;
  let rss = 0;
  let samples = 0;
  const sample = () => {
    const group = pgid();
    if (group === undefined) return;
    fds = Math.max(fds, groupOpenFds(group));
    rss = Math.max(rss, groupRssBytes(group));
    samples += 1;
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { max_open_fds: fds, max_rss_mb: round(rss / 2 ** 20, 1), samples, every_ms: SAMPLE_MS };
    },
  };
}
