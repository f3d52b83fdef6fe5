// The gauges of each role, read from the owners' state at scrape time (no
// component updates a gauge on its hot path).
import type { Metrics } from '../metrics/metrics.js';
import type { PrimaryLog } from '../primary/primary-log.js';
import type { SecondaryLog } from '../secondary/secondary-log.js';
import type { TreeReader } from '../storage/ports.js';
import type { Scrubber } from '../storage/scrubber.js';
import { DB_FILE } from '../storage/sqlite.js';
import { existsSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../util/clock.js';
import type { StorageHealth } from './storage-health.js';

const seconds = (ms: number) => ms / 1000;

/** Free bytes on the data directory's file system, and the database's bytes (log.db and its WAL). */
function diskUsage(dataDir: string): { free: number; database: number } | undefined {
  try {
    const fs = statfsSync(dataDir);
    const size = (f: string) => (existsSync(join(dataDir, f)) ? statSync(join(dataDir, f)).size : 0);
    return { free: fs.bavail * fs.bsize, database: size(DB_FILE) + size(`${DB_FILE}-wal`) };
  } catch {
    return undefined;
  }
}

function registerStorageGauges(
  m: Metrics,
  storage: StorageHealth,
  scrubber: Scrubber | undefined,
  dataDir: string,
): void {
  m.gauge('sigsum_log_disk_free_bytes', 'Bytes available to the node on the data directory file system', [], () => {
    const d = diskUsage(dataDir);
    return d ? [[{}, d.free]] : [];
  });
  m.gauge('sigsum_log_database_bytes', 'Bytes of log.db and its write-ahead log', [], () => {
    const d = diskUsage(dataDir);
    return d ? [[{}, d.database]] : [];
  });
  if (scrubber) {
    m.gauge('sigsum_log_scrub_position_leaves', 'Leaves the scrubber has re-verified in its current pass', [], () => [
      [{}, scrubber.progress().position],
    ]);
    m.gauge('sigsum_log_scrub_passes', 'Full scrubber passes without damage since start', [], () => [
      [{}, scrubber.progress().passes],
    ]);
    m.gauge(
      'sigsum_log_scrub_last_complete_timestamp_seconds',
      'Unix time when the scrubber last finished a full pass without damage (0: never)',
      [],
      () => [[{}, seconds(scrubber.progress().lastComplete ?? 0)]],
    );
  }
  m.gauge(
    'sigsum_log_storage_damaged',
    '1 once stored data was found not to match the tree (see the log); answers that depend on it are refused',
    [],
    () => [[{}, storage.damages.length > 0 ? 1 : 0]],
  );
  m.gauge(
    'sigsum_log_storage_damage_found',
    'Times a checked read or the scrubber found damage since start',
    [],
    () => [[{}, storage.damageCount]],
  );
  m.gauge(
    'sigsum_log_storage_ok',
    '0 once the database file vanished or was replaced under the node (no more commits or signatures)',
    [],
    () => [[{}, storage.failure() ? 0 : 1]],
  );
}

export function registerPrimaryGauges(
  m: Metrics,
  log: PrimaryLog,
  tree: Pick<TreeReader, 'size'>,
  storage: StorageHealth,
  clock: Clock,
  scrubber: Scrubber | undefined,
  dataDir: string,
): void {
  registerStorageGauges(m, storage, scrubber, dataDir);
  m.gauge(
    'sigsum_log_tree_size',
    'Leaves: stored locally (local), in the latest signed tree head (signed), in the published one (published)',
    ['head'],
    () => [
      [{ head: 'local' }, tree.size()],
      [{ head: 'signed' }, log.committedTreeHead().size],
      [{ head: 'published' }, log.publishedTreeHead().size],
    ],
  );
  m.gauge(
    'sigsum_log_tree_head_age_seconds',
    'Seconds since the latest signature (a re-signed unchanged head counts), and since the published head last changed',
    ['head'],
    () => [
      [{ head: 'signed' }, seconds(clock.now() - log.lastSignedAt())],
      [{ head: 'published' }, seconds(clock.now() - log.publishedAt)],
    ],
  );
  m.gauge('sigsum_log_pending_leaves', 'Accepted leaves waiting for the next batch commit', [], () => [
    [{}, log.pendingLeaves()],
  ]);
  m.gauge('sigsum_log_held_requests', 'add-leaf requests held open until their leaf is published', [], () => [
    [{}, log.heldRequests()],
  ]);
  m.gauge(
    'sigsum_log_signing_ok',
    '1 while signing rounds succeed, 0 while the log refuses to sign (see the log)',
    [],
    () => [[{}, log.signing.active ? 0 : 1]],
  );
  m.gauge(
    'sigsum_log_clock_behind_seconds',
    'How far the wall clock was behind the latest signature at the last signing (0: not behind)',
    [],
    () => [[{}, log.clockBehind.active ? seconds(Math.max(0, log.lastSignedAt() - clock.now())) : 0]],
  );
  m.gauge('sigsum_log_epoch', 'Promotion epoch of this node', [], () => [[{}, log.epoch()]]);
  m.gauge(
    'sigsum_log_superseded',
    '1 once this primary learned that another primary took over (a fenced secondary or a witness said so)',
    [],
    () => [[{}, log.superseded.active ? 1 : 0]],
  );
  const repl = log.replication;
  if (repl) {
    m.gauge('sigsum_log_replication_quorum', 'Secondaries that must hold a leaf before it is signed', [], () => [
      [{}, repl.quorum],
    ]);
    m.gauge(
      'sigsum_log_secondary_up',
      '1 if the secondary answered correctly at the last signing round',
      ['secondary'],
      () => repl.statuses().map(s => [{ secondary: s.url }, s.ok ? 1 : 0]),
    );
    m.gauge(
      'sigsum_log_secondary_replicated_size',
      'Leaves the secondary held at its last good answer',
      ['secondary'],
      () => repl.statuses().map(s => [{ secondary: s.url }, s.size]),
    );
    m.gauge(
      'sigsum_log_secondary_lag_leaves',
      'Local leaves the secondary did not hold at its last good answer',
      ['secondary'],
      () => repl.statuses().map(s => [{ secondary: s.url }, Math.max(0, tree.size() - s.size)]),
    );
  }
  const cos = log.cosigner;
  if (cos) {
    const w = (s: { url: string }) => ({ witness: s.url.replace(/^https?:\/\//, '') });
    m.gauge('sigsum_log_witness_up', '1 if the witness cosigned at its last attempt', ['witness'], () =>
      cos.statuses().map(s => [w(s), s.ok ? 1 : 0]),
    );
    m.gauge('sigsum_log_witness_cosigned_size', 'Tree size the witness has cosigned', ['witness'], () =>
      cos.statuses().map(s => [w(s), s.cosignedSize]),
    );
    m.gauge(
      'sigsum_log_witness_clock_skew_seconds',
      "The witness's last cosignature timestamp minus this node's clock at its arrival",
      ['witness'],
      () =>
        cos
          .statuses()
          .filter(s => s.skewSeconds !== undefined)
          .map(s => [w(s), s.skewSeconds!]),
    );
    m.gauge(
      'sigsum_log_witness_last_success_timestamp_seconds',
      'Unix time of the last cosignature from the witness',
      ['witness'],
      () =>
        cos
          .statuses()
          .filter(s => s.lastSuccess !== undefined)
          .map(s => [w(s), seconds(s.lastSuccess!)]),
    );
  }
}

export function registerSecondaryGauges(
  m: Metrics,
  log: SecondaryLog,
  tree: Pick<TreeReader, 'size'>,
  storage: StorageHealth,
  scrubber: Scrubber | undefined,
  dataDir: string,
): void {
  registerStorageGauges(m, storage, scrubber, dataDir);
  m.gauge('sigsum_log_replica_size', 'Leaves in this replica', [], () => [[{}, tree.size()]]);
  m.gauge(
    'sigsum_log_replica_lag_leaves',
    'Leaves the primary had at the last poll that this replica does not hold',
    [],
    () => [[{}, Math.max(0, log.upstreamSize - tree.size())]],
  );
  m.gauge(
    'sigsum_log_replication_halted',
    '1 once replication stopped on a mismatch with the primary (see the log)',
    [],
    () => [[{}, log.halted ? 1 : 0]],
  );
  m.gauge(
    'sigsum_log_replication_failing',
    '1 while polling the primary fails (unreachable, stale epoch, ...)',
    [],
    () => [[{}, log.failing.active ? 1 : 0]],
  );
  m.gauge('sigsum_log_tree_size', 'Leaves in the published tree head this secondary serves', ['head'], () => [
    [{ head: 'published' }, log.publishedTreeHead()?.size ?? 0],
  ]);
  m.gauge('sigsum_log_epoch', 'Highest epoch of a primary this node followed or was told about', [], () => [
    [{}, log.fence.epoch],
  ]);
}
