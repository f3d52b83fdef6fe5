// A well-behaved client in its own process (so the test process's own load
// cannot distort it): one warm-up request (its connection and the client's
// own first-call costs are not the server's latency), then "ready" on a line,
// then GET <url> every 20 ms for <seconds>, then the latencies in ms and the
// number of failed requests as JSON on the last line.
//   node latency-probe.mjs <url> <seconds>
const [url, seconds] = process.argv.slice(2);
await fetch(url).then(r => r.text());
process.stdout.write('ready\n');
const until = performance.now() + Number(seconds) * 1000;
const latencies = [];
let errors = 0;
while (performance.now() < until) {
  const t0 = performance.now();
  const ok = await fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
    r => r.text().then(() => r.status === 200),
    () => false,
  );
  latencies.push(performance.now() - t0);
  if (!ok) errors++;
  await new Promise(r => setTimeout(r, 20));
}
process.stdout.write(JSON.stringify({ latencies, errors }));
