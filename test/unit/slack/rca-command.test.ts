import { describe, it, expect } from 'vitest';
import { parseRcaCommand } from '../../../src/slack/rca-command.js';
import { editDistance, suggestNames } from '../../../src/slack/name-suggestions.js';

describe('parseRcaCommand', () => {
  it('lists open incidents for an empty text', () => {
    expect(parseRcaCommand('')).toEqual({ kind: 'list' });
    expect(parseRcaCommand('   ')).toEqual({ kind: 'list' });
    expect(parseRcaCommand(undefined)).toEqual({ kind: 'list' });
  });
  it('reads an incident id, stripping quotes and backticks pasted around it', () => {
    expect(parseRcaCommand('inc-0123abcd4567')).toEqual({ kind: 'incident', id: 'inc-0123abcd4567' });
    expect(parseRcaCommand(' `inc-0123abcd4567` ')).toEqual({ kind: 'incident', id: 'inc-0123abcd4567' });
  });
  it('reads service names with the service verb, case-insensitively', () => {
    expect(parseRcaCommand('service payments-db')).toEqual({ kind: 'service', name: 'payments-db' });
    expect(parseRcaCommand('SERVICE checkout')).toEqual({ kind: 'service', name: 'checkout' });
    expect(parseRcaCommand('svc   web')).toEqual({ kind: 'service', name: 'web' });
  });
  it('answers help', () => {
    expect(parseRcaCommand('help')).toEqual({ kind: 'help' });
    expect(parseRcaCommand('HELP')).toEqual({ kind: 'help' });
  });
  it('explains what is wrong with anything else', () => {
    const missing = parseRcaCommand('service');
    expect(missing.kind).toBe('unknown');
    expect(missing.kind === 'unknown' && missing.reason).toContain('name the service');
    expect(parseRcaCommand('service a b').kind).toBe('unknown');
    expect(parseRcaCommand('what is broken').kind).toBe('unknown');
    expect(parseRcaCommand('<script>').kind).toBe('incident'); // brackets stripped like quotes: "script" is just an id we will not find
    expect(parseRcaCommand('a|b').kind).toBe('unknown');
  });
});

describe('suggestNames', () => {
  const services = ['payments', 'payments-db', 'checkout', 'inventory', 'web', 'shipping'];
  it('suggests typos by edit distance', () => {
    expect(suggestNames('paymnets', services)).toEqual(['payments']);
    expect(suggestNames('chekout', services)).toEqual(['checkout']);
  });
  it('suggests prefixes and substrings first, closest length first', () => {
    expect(suggestNames('pay', services)).toEqual(['payments', 'payments-db']);
    expect(suggestNames('db', services)).toEqual(['payments-db']);
  });
  it('suggests nothing for something unlike every name', () => {
    expect(suggestNames('zzzzzzzz', services)).toEqual([]);
  });
  it('computes edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
  });
});
