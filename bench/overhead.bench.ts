// How much time the action itself adds around the model: app-server start, thread start, fork, a turn
// against an instant model, and N concurrent forks against a model that takes a fixed time per request.
import { startCodexRig } from '../test/support/codex.js';
import { lastUserText } from '../test/support/model-server.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0)} ms (min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)})`;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

test('overhead of the app-server client', async () => {
  const startup: number[] = [];
  const threadStart: number[] = [];
  const turn: number[] = [];
  const warmTurn: number[] = [];
  const fork: number[] = [];
  const forks: number[] = [];
  const modelDelay = 300;
  const width = 8;
  for (let i = 0; i < ROUNDS; i++) {
    const [s, rig] = await time(() => startCodexRig());
    startup.push(s);
    try {
      // Only the fork turns ('slow') take model time; Codex's own instructions may contain the word, so look at the prompt.
      rig.model.respond((req) => ({ message: 'ok', delayMs: lastUserText(req) === 'slow' ? modelDelay : 0 }));
      const [t, thread] = await time(() => rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' }));
      threadStart.push(t);
      turn.push((await time(() => thread.run('instant')))[0]);
      warmTurn.push((await time(() => thread.run('instant again')))[0]);
      fork.push((await time(() => thread.fork()))[0]);
      const [all] = await time(() =>
        Promise.all(Array.from({ length: width }, async () => (await thread.fork()).run('slow'))),
      );
      forks.push(all - modelDelay);
    } finally {
      await rig.close();
    }
  }
  const report = [
    `app-server start + initialize: ${stats(startup)}`,
    `thread/start: ${stats(threadStart)}`,
    `first turn, instant model (1 request): ${stats(turn)}`,
    `second turn on the same thread, instant model: ${stats(warmTurn)}`,
    `thread/fork: ${stats(fork)}`,
    `${width} forks + turns concurrently, ${modelDelay} ms model, time beyond one model call: ${stats(forks)}`,
  ];
  console.log(report.join('\n'));
  expect(startup).toHaveLength(ROUNDS);
});
