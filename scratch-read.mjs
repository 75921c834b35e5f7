import { CloudWatchLogsClient, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
const mode = process.argv[2];
const c = new CloudWatchLogsClient({});
let n = 0, kept = 0;
for await (const page of paginateFilterLogEvents({ client: c }, { logGroupName: '/aws/eks/bench-mwrf5jg9/cluster', limit: 500, startTime: Date.parse('2026-11-22T00:00:00Z') })) {
  for (const e of page.events ?? []) {
    n++;
    if (mode === 'parse') { try { const o = JSON.parse(e.message); if (o.verb !== 'get' && o.verb !== 'list' && o.verb !== 'watch') kept++; } catch {} }
  }
}
console.log(n, kept, Math.round(process.memoryUsage().rss/1e6));
