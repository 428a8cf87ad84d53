// Helper process of listen-mirrors.ts: sends every listening handle it receives straight back
// (each round trip gives the parent one more descriptor of the same socket), then exits.
// It never listens or accepts itself: the handles arrive as raw TCP handles.
process.on('message', (m: { last?: boolean }, handle: unknown) => {
  process.send!(m, handle as never, () => {
    (handle as { close?: () => void }).close?.();
    if (m.last === true) process.disconnect();
  });
});
process.on('disconnect', () => process.exit(0));
