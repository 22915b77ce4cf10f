// JIT test program for the symbolizer: run with `node --perf-basic-prof`, it makes V8 compile
// hotLoopForKiln, prints "ready", then waits until stdin closes.
'use strict';

function hotLoopForKiln(n) {
  let total = 0;
  for (let i = 0; i < n; ++i) total = (total + i * i) % 1000003;
  return total;
}

const end = Date.now() + 300;
let sink = 0;
while (Date.now() < end) sink += hotLoopForKiln(10000);
process.stdout.write(`sink ${sink % 7}\nready\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
