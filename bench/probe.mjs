// Plain JavaScript so that the compiled CLI (plain node, no tsx) can preload it too.
// Loaded into the forwarder with `--import`: at exit, writes the process's own resource usage
// (peak RSS and CPU, all threads, exact) to the file named by EKS_BENCH_PROBE_OUT, with
// process.memoryUsage() every second, so RSS can be told apart into V8 heap and off-heap
// (Buffers, sockets, malloc). The forwarder's code is untouched; this is all the bench adds.
import { writeFileSync } from 'node:fs';

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
    writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime, memory }));
  });
}
