// Plain JavaScript so that the compiled CLI (plain node, no tsx) can preload it too.
// Loaded into the forwarder with `--import`: at exit, writes the process's own resource usage
// (peak RSS from /proc's VmHWM, CPU of all threads, exact) to the file named by EKS_BENCH_PROBE_OUT, with
// process.memoryUsage() every second, so RSS can be told apart into V8 heap and off-heap
// (Buffers, sockets, malloc). The forwarder's code is untouched; this is all the bench adds.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.EKS_BENCH_PROBE_OUT;
if (out) {
  const started = performance.now();
  const memory = [];
  const mb = (bytes) => Math.round(bytes / 1048576);
  const sample = () => {
    const m = process.memoryUsage();
    memory.push({ t: Math.round(performance.now() - started) / 1000, rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) });
  };
  setInterval(sample, 1000).unref();
  process.on('exit', () => {
    sample();
    const u = process.resourceUsage();
    // getrusage's maxRSS is not this program's own peak on Linux: fork copies the parent's
    // resident pages into the child's count, and exec keeps that high-water mark, so a forwarder
    // spawned by a bench process holding hundreds of MB reports the bench's RSS. VmHWM belongs to
    // the address space exec made: the forwarder's own peak. getrusage's figure is kept beside it.
    let hwmKb;
    try {
      hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) || undefined;
    } catch {
      hwmKb = undefined;
    }
    writeFileSync(out, JSON.stringify({ maxRssKb: hwmKb ?? u.maxRSS, ruMaxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime, memory }));
  });
}
