// The V8 flags meshgate runs with: a fixed 16 MiB semi-space (V8's default maximum on 64-bit).
// By default V8 shrinks the young generation to 1 MiB at the first scavenge after an idle spell
// (allocation rate < 1 MB/s) and grows it back only as survivors accumulate, which takes seconds
// of load. A proxy's traffic is bursty: each burst after a pause then ran with ~4x the scavenges,
// promoted request objects that were still in flight, and served 10-30 % fewer requests per core
// for its first seconds (measured: test/bench/README.md, "young generation"). Costs ~30 MiB of
// RSS when idle; under load the default reaches the same size anyway.
//
// Applied by bin/meshgate.js's shebang (npx meshgate, an installed bin), the demo, the tests, the
// benchmarks and the Dockerfile. Whoever starts `node bin/meshgate.js` by hand passes them too.
export const NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=16', '--min-semi-space-size=16']);

/** true when this process was started with every flag of NODE_FLAGS */
export function hasNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return NODE_FLAGS.every((f) => execArgv.includes(f));
}
