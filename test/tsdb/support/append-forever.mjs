// Child process of the kill -9 test: appends and commits scrapes until killed, printing
// "committed <t>" only after each commit has resolved. Imports the built TSDB from dist/.
import { TSDB } from '../../../dist/tsdb/index.js';

const [dir, seriesArg] = process.argv.slice(2);
const series = Number(seriesArg);
const db = await TSDB.open(dir, { checkpointIntervalMs: 150, walSegmentBytes: 64 << 10, walSyncIntervalMs: 0 });
let t = 1_765_000_000_000;
for (;;) {
  const a = db.appender();
  for (let i = 0; i < series; i++) a.append({ __name__: 'kill_test_total', instance: `i-${i}` }, t, t / 1000 + i);
  await a.commit();
  process.stdout.write(`committed ${t}\n`);
  t += 15_000;
  await new Promise((r) => setImmediate(r));
}
