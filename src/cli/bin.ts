#!/usr/bin/env node
import { nodeSupportNotice } from '../node-support.js';

const notice = nodeSupportNotice();
if (notice) process.stderr.write(`${notice}\n`);
// Loaded after the notice, so the SDK sees its switch before it could warn.
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
