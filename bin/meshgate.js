#!/usr/bin/env node
import { main } from '../dist/agent/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`meshgate: ${err?.stack ?? err}\n`); process.exitCode = 1; },
);
