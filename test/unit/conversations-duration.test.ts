import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/conversations/duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('ISO 8601 durations (Conversations timers)', () => {
  test('the forms Twilio documents and uses in examples', () => {
    assert.equal(parseDuration('PT5M'), 5 * M);
    assert.equal(parseDuration('PT10M'), 10 * M);
    assert.equal(parseDuration('PT1M'), M);
    assert.equal(parseDuration('P1D'), D);
    assert.equal(parseDuration('PT0S'), 0);
    assert.equal(parseDuration('PT1H'), H);
  });

  test('every component, combined', () => {
    assert.equal(parseDuration('P1DT2H3M4S'), D + 2 * H + 3 * M + 4 * S);
    assert.equal(parseDuration('P2W'), 14 * D);
    assert.equal(parseDuration('P1Y'), 365 * D);
    assert.equal(parseDuration('P1M'), 30 * D, 'M before T is months');
    assert.equal(parseDuration('PT1M'), M, 'M after T is minutes');
    assert.equal(parseDuration('P1MT1M'), 30 * D + M);
    assert.equal(parseDuration('PT90S'), 90 * S, 'components may overflow their unit');
    assert.equal(parseDuration('PT36H'), 36 * H);
  });

  test('fractional seconds, with a dot or a comma; lower case and spaces around are tolerated', () => {
    assert.equal(parseDuration('PT1.5S'), 1500);
    assert.equal(parseDuration('PT0,25S'), 250);
    assert.equal(parseDuration('pt5m'), 5 * M);
    assert.equal(parseDuration(' PT5M '), 5 * M);
  });

  test('what is not a duration', () => {
    for (const bad of ['', 'P', 'PT', 'P1DT', '5M', 'PT5', 'PT-5M', '-PT5M', 'PT5M3H', 'P1.5D', 'PT1.5M', 'T5M', 'PT5MM', 'P1H', 'PT 5M', '300', 'PT1e3S', 'P99999999999Y'])
      assert.equal(parseDuration(bad), null, bad);
  });

  test('order of components is fixed (Y M W D T H M S)', () => {
    assert.equal(parseDuration('P1D2Y'), null);
    assert.equal(parseDuration('PT1S1M'), null);
  });

  test('formatting gives the shortest form, and round-trips', () => {
    assert.equal(formatDuration(5 * M), 'PT5M');
    assert.equal(formatDuration(0), 'PT0S');
    assert.equal(formatDuration(D + H + M + S), 'P1DT1H1M1S');
    assert.equal(formatDuration(2 * D), 'P2D');
    assert.equal(formatDuration(1500), 'PT1.5S');
    for (const ms of [M, 10 * M, 3 * D + 7 * S, 1234]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});
