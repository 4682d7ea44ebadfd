import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromEnv } from '../../src/config.ts';

test('SWITCHYARD_ORPHAN_POLICY: close, inactive and keep are taken; unset means the default; anything else stops the start', () => {
  for (const v of ['close', 'inactive', 'keep']) assert.equal(configFromEnv({ SWITCHYARD_ORPHAN_POLICY: v }).orphans, v);
  assert.equal(configFromEnv({}).orphans, undefined);
  assert.throws(() => configFromEnv({ SWITCHYARD_ORPHAN_POLICY: 'delete' }), /SWITCHYARD_ORPHAN_POLICY must be one of close, inactive, keep/);
});

test('PORT, HOST and the store come from the environment, with defaults', () => {
  const d = configFromEnv({});
  assert.equal(d.port, 3000);
  assert.equal(d.host, '0.0.0.0');
  assert.equal(d.databaseUrl, undefined);
  const c = configFromEnv({ PORT: '4020', HOST: '127.0.0.1', DATABASE_URL: 'postgres://x@y/z', DATABASE_SCHEMA: 's1' });
  assert.deepEqual([c.port, c.host, c.databaseUrl, c.schema], [4020, '127.0.0.1', 'postgres://x@y/z', 's1']);
});
