#!/usr/bin/env -S node --max-semi-space-size=16 --min-semi-space-size=16 --no-memory-reducer
// first: keeps Node's nextTick entries on one shape (agent/tick-object-shape.ts)
import '../dist/agent/tick-object-shape.js';
import { main } from '../dist/agent/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`meshgate: ${err?.stack ?? err}\n`); process.exitCode = 1; },
);
