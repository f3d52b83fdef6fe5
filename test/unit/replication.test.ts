// The primary's replication check: which secondary answers count, the quorum
// arithmetic, one log line per state change, and add-leaf's 202 -> 200 as a
// real in-process secondary catches up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { SeedSigner } from '../../src/sigsum/crypto.js';
import { formatSignedTreeHead, signTreeHead } from '../../src/sigsum/treehead.js';
import { Replication } from '../../src/primary/replication.js';
import { PrimaryLog } from '../../src/primary/primary-log.js';
import { PrimaryClient } from '../../src/secondary/primary-client.js';
import { SecondaryLog } from '../../src/secondary/secondary-log.js';
import { primaryInternalRoutes, secondaryInternalRoutes } from '../../src/http/internal-api.js';
import { Mux } from '../../src/http/mux.js';
import { dispatcher, listen } from '../../src/http/server.js';
import type { Handler } from '../../src/http/public-api.js';
import { initDataDir } from '../../src/storage/datadir.js';
import { Logger } from '../../src/util/logger.js';
import { h } from '../helpers/vectors.js';
import { FakeClock, logSigner, tempDir } from '../helpers/fixtures.js';
import { FakePrimary } from '../helpers/fake-primary.js';
import { makeLeaf } from '../helpers/client.js';

const keys = [1, 2, 3, 4, 5, 6, 7].map(i => new SeedSigner(h(String(i).padStart(2, '0').repeat(32))));

/** A fake secondary answering get-secondary-tree-head with whatever body() returns (undefined: never answer). */
async function fakeSecondary(t: Parameters<typeof tempDir>[0], body: () => string | undefined): Promise<string> {
  const srv: Server = createServer((req, res) => {
    if (req.url !== '/get-secondary-tree-head') {
      res.writeHead(404).end();
      return;
    }
    const b = body();
    if (b !== undefined) res.writeHead(200).end(b);
  });
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
}

test('which secondary answers count, and the quorum-th largest size', async t => {
  const fp = await FakePrimary.start(t, 20);
  const store = fp.store;
  const sth = (k: SeedSigner, size: number, rootSize = size) => formatSignedTreeHead(signTreeHead(k, { size, rootHash: store.rootAt(rootSize) }));
  const good15 = { url: await fakeSecondary(t, () => sth(keys[0], 15)), publicKey: keys[0].publicKey };
  const good10 = { url: await fakeSecondary(t, () => sth(keys[1], 10)), publicKey: keys[1].publicKey };
  const badSig = { url: await fakeSecondary(t, () => sth(keys[6], 18)), publicKey: keys[2].publicKey };
  const ahead = { url: await fakeSecondary(t, () => formatSignedTreeHead(signTreeHead(keys[3], { size: 25, rootHash: store.rootAt(20) }))), publicKey: keys[3].publicKey };
  const inconsistent = { url: await fakeSecondary(t, () => sth(keys[4], 12, 11)), publicKey: keys[4].publicKey };
  const silent = { url: await fakeSecondary(t, () => undefined), publicKey: keys[5].publicKey };
  const closed = createServer();
  await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as { port: number }).port;
  await new Promise(r => closed.close(r));
  const down = { url: `http://127.0.0.1:${closedPort}`, publicKey: keys[6].publicKey };
  const { logger, lines } = Logger.memory('info');
  const mk = (secs: (typeof good15)[], quorum: number) => new Replication(secs, store, { quorum, timeoutMs: 300, clock: new FakeClock(), logger });

  assert.equal(await mk([good15, good10], 1).replicatedSize(20), 15);
  assert.equal(await mk([good15, good10], 2).replicatedSize(20), 10);
  const zoo = mk([good15, badSig, ahead, inconsistent, silent, down], 1);
  lines.length = 0;
  assert.equal(await zoo.replicatedSize(20), 15);
  const st = zoo.statuses();
  assert.deepEqual(st.map(s => s.ok), [true, false, false, false, false, false]);
  assert.match(st[1].error!, /signature does not verify with the configured secondary key/);
  assert.match(st[2].error!, /secondary is ahead of the primary \(25 > 20 leaves\)/);
  assert.match(st[3].error!, /secondary tree of size 12 is inconsistent with the primary's/);
  assert.match(st[4].error!, /no answer within 300 ms/);
  assert.match(st[5].error!, /ECONNREFUSED/);
  assert.equal(lines.filter(l => /WARNING secondary does not count/.test(l)).length, 5);
  assert.equal(await zoo.replicatedSize(20), 15);
  assert.equal(lines.filter(l => /WARNING secondary does not count/.test(l)).length, 5, 'no new line while nothing changes');
  assert.equal(await mk([good15, badSig, ahead], 2).replicatedSize(20), 0);

  assert.throws(() => mk([good15, good10], 3), /quorum 3 must be between 1 and the number of secondaries \(2\)/);
  assert.throws(() => mk([good15, { ...good10, publicKey: keys[0].publicKey }], 1), /configured twice/);
});

test('add-leaf answers 202 until the secondary holds the leaf, then 200', async t => {
  const clock = new FakeClock();
  const { logger, lines } = Logger.memory('info');
  const pdd = initDataDir(tempDir(t), { role: 'primary', logPublicKey: logSigner.publicKey, signer: logSigner, now: clock.now() });
  t.after(() => pdd.close());
  let plog: PrimaryLog | undefined;
  const pInternal = await listen(
    '127.0.0.1:0',
    dispatcher(
      new Mux<Handler>(
        primaryInternalRoutes(
          {
            store: pdd.store,
            publishedSize: () => plog!.publishedSize(),
            treeHeadBody: () => plog!.treeHeadBody(),
            committedTreeHead: () => plog!.committedTreeHead(),
            epoch: () => plog!.epoch(),
          },
          { maxRange: 512 },
        ),
      ),
      logger,
    ),
  );
  t.after(() => pInternal.close());
  const sdd = initDataDir(tempDir(t), { role: 'secondary', logPublicKey: logSigner.publicKey, now: 1 });
  t.after(() => sdd.close());
  const slog = new SecondaryLog(sdd.store, keys[0], logSigner.publicKey, new PrimaryClient(pInternal.url, undefined, 2000), { interval: 60_000, chunk: 100, parallel: 2, clock, logger });
  const sInternal = await listen('127.0.0.1:0', dispatcher(new Mux<Handler>(secondaryInternalRoutes(slog)), logger));
  const replication = new Replication([{ url: sInternal.url, publicKey: keys[0].publicKey }], pdd.store, { quorum: 1, timeoutMs: 1000, clock, logger });
  plog = new PrimaryLog(pdd.store, logSigner, { interval: 1000, resignPeriod: 10_000, sequencer: { batchInterval: 1000, maxBatch: 100, maxPool: 100 }, clock, logger, replication });

  const leaves = Array.from({ length: 5 }, (_, i) => makeLeaf(keys[1], `replicated ${i}`));
  for (const l of leaves) assert.equal((await plog.addLeafBody(l.body)).status, 202);
  plog.flush();
  await plog.rotate();
  assert.equal(plog.committedTreeHead().size, 0, 'nothing signed before the secondary holds it');
  assert.equal((await plog.addLeafBody(leaves[0].body)).status, 202);
  await slog.pollOnce();
  assert.equal(sdd.store.size(), 5);
  await plog.rotate();
  assert.equal(plog.committedTreeHead().size, 5);
  for (const l of leaves) assert.equal((await plog.addLeafBody(l.body)).status, 200);
  await slog.pollOnce();
  assert.equal(slog.publishedSize(), 5, 'the secondary serves the published head once it holds it');

  // The secondary goes away: the head stays, one error line, then recovery.
  await sInternal.close();
  const more = makeLeaf(keys[1], 'while the secondary is away');
  assert.equal((await plog.addLeafBody(more.body)).status, 202);
  plog.flush();
  await plog.rotate();
  await plog.rotate();
  assert.equal(plog.committedTreeHead().size, 5);
  assert.equal((await plog.addLeafBody(more.body)).status, 202);
  assert.equal(lines.filter(l => /secondary does not count/.test(l)).length, 1);
  assert.deepEqual(replication.statuses().map(s => [s.ok, s.size]), [[false, 5]]);
});
