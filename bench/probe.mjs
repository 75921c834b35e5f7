// Plain JavaScript so that the compiled CLI (plain node, no tsx) can preload it too.
// Loaded into the forwarder with `--import`: at exit, writes the process's own resource usage
// (peak RSS and CPU, all threads, exact) to the file named by EKS_BENCH_PROBE_OUT.
// The forwarder's code is untouched; this is all the bench adds to its process.
import { writeFileSync } from 'node:fs';

const out = process.env.EKS_BENCH_PROBE_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
