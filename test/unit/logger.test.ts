// Log lines: text and JSON formats, and the asynchronous log file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '../../src/util/logger.js';
import { tempDir } from '../support/fixtures.js';

test('JSON lines carry time, level, msg and the fields; text lines key=value', () => {
  const { logger, lines } = Logger.memory('info', 'json');
  logger.debug('not shown');
  logger.warning('witness failing', {
    witness: 'w1',
    size: 5,
    big: 2n ** 70n,
    msg: 'collides',
    error: new Error('boom'),
  });
  assert.equal(lines.length, 1);
  const o = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.match(String(o.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(
    { ...o, time: undefined },
    {
      time: undefined,
      level: 'warning',
      msg: 'witness failing',
      witness: 'w1',
      size: 5,
      big: String(2n ** 70n),
      field_msg: 'collides',
      error: 'boom',
    },
  );
  const text = Logger.memory('info', 'text');
  text.logger.info('signed tree head', { size: 5, note: 'two words' });
  assert.match(text.lines[0], /^\S+ INFO signed tree head size=5 note="two words"$/);
});

test('a log file is appended asynchronously and flushed by close()', async t => {
  const file = join(tempDir(t), 'node.log');
  const logger = new Logger('info', file, 'json');
  for (let i = 0; i < 1000; i++) logger.info('line', { i });
  await logger.close();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 1000);
  assert.deepEqual(JSON.parse(lines[999]).i, 999);
});
