import { writeFileSync } from 'node:fs';
import { startServices } from './scripts/services/index.js';
const s = await startServices();
writeFileSync('/tmp/opsdev/env.sh', Object.entries(s.env).map(([k, v]) => `export ${k}=${v}`).join('\n') + '\n');
process.on('SIGTERM', async () => { await s.stop(); process.exit(0); });
setInterval(() => {}, 1 << 30);
