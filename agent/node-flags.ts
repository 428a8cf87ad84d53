// The V8 flags meshgate runs with: a fixed 16 MiB semi-space (V8's default maximum on 64-bit), and
// no memory reducer (below).
// By default V8 shrinks the young generation to 1 MiB at the first scavenge after an idle spell
// (allocation rate < 1 MB/s) and grows it back only as survivors accumulate, which takes seconds
// of load. A proxy's traffic is bursty: each burst after a pause then ran with ~4x the scavenges,
// promoted request objects that were still in flight, and served 10-30 % fewer requests per core
// for its first seconds (measured: test/bench/README.md, "young generation"). Costs ~30 MiB of
// RSS when idle; under load the default reaches the same size anyway.
//
// And no memory reducer: a process that goes idle after load gets a few "memory-reducing"
// mark-compacts within a minute or two, and they cost it much of its optimised code. Measured
// (two plain edges side by side, 110 s idle after warm-up, `--trace-opt`): in the next 3 s at 200
// connections the default one recompiled 139 functions (the hot request path among them; 137 with
// `--no-flush-bytecode`, so it is not bytecode ageing) and served 12,006 req/s, p99 134 ms; the one
// with `--no-memory-reducer` recompiled 20 and served 16,960 req/s, p99 58 ms. The price: the heap an idle
// agent keeps is the size its last load grew it to (tens of MiB), as nginx keeps its pools.
//
// Applied by bin/meshgate.js's shebang (npx meshgate, an installed bin), the demo, the tests, the
// benchmarks and the Dockerfile. Whoever starts `node bin/meshgate.js` by hand passes them too.
export const NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=16', '--min-semi-space-size=16', '--no-memory-reducer']);

/** true when this process was started with every flag of NODE_FLAGS */
export function hasNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return NODE_FLAGS.every((f) => execArgv.includes(f));
}
