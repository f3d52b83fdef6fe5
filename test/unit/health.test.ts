// /health tells the truth: ready only while the node signs and publishes
// within bounds derived from its intervals, can write, and found no damage;
// each reason is a line of the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { primaryHealth, staleAfter } from '../../src/node/health.js';
import { StorageHealth } from '../../src/node/storage-health.js';
import { Logger } from '../../src/util/logger.js';
import { makeLeaf } from '../support/client.js';
import { FakeClock, submitterSigner } from '../support/fixtures.js';
import { testPrimary } from '../support/logs.js';

const bounds = { interval: 1000, resignInterval: 10_000, peerTimeout: 2000, witnessTimeout: 0 };

test('primary health: fresh and signing is ready; stale, refusing, damaged or unwritable is not, with the reason', async t => {
  const clock = new FakeClock();
  const p = await testPrimary(t, { clock });
  const storage = new StorageHealth(p.dd.lock, Logger.memory('error').logger);
  const health = (stopping = false) => primaryHealth(p.log, p.dd.store, storage, clock, bounds, stopping);
  await p.submit(makeLeaf(submitterSigner, 'health 1').body);
  p.log.flush();
  await p.log.rotate();
  assert.deepEqual(health().ready, true, health().lines.join('\n'));

  // No signature for longer than the bound (the signing rounds stopped): not ready, and says how old.
  const { signed } = staleAfter(bounds);
  clock.advance(signed + 1000);
  let h = health();
  assert.equal(h.ready, false);
  assert.ok(
    h.lines.some(l => /the latest signature is \d+ s old \(bound \d+ s\)/.test(l)),
    h.lines.join('\n'),
  );
  await p.log.rotate(); // a re-sign: fresh again
  assert.equal(health().ready, true, health().lines.join('\n'));

  // A refusal to sign (a check failed) is a reason of its own.
  p.log.signing.set('check', 'root recomputed from storage differs');
  h = health();
  assert.equal(h.ready, false);
  assert.ok(h.lines.includes('not signing: root recomputed from storage differs'));
  p.log.signing.clear('ok again');

  storage.report('nodes table: subtree (level 3, index 7) does not match its two children');
  h = health();
  assert.equal(h.ready, false);
  assert.ok(h.lines.some(l => /^storage damage: nodes table: subtree \(level 3, index 7\)/.test(l)));

  assert.ok(health(true).lines.includes('shutting down'));
});
