import { describe, it, expect } from 'vitest';
import { HistoryFileError, parseHistory } from '../../../src/history/history-file.js';

const incident = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `incident ${id}`,
  openedAt: '2026-09-01T10:00:00Z',
  resolvedAt: '2026-09-01T11:30:00.000+02:00',
  rootCause: { service: 'orders-db', category: 'resource' },
  alerts: [{ service: 'checkout', alertname: 'HighErrorRate' }],
  remediation: { runbook: 'restart-db', target: 'orders-db' },
  ...extra,
});

describe('parseHistory', () => {
  it('keeps every valid incident of a CONTRACT §3 file, in file order', () => {
    const { incidents, issues } = parseHistory(JSON.stringify([incident('INC-1'), incident('INC-2', { remediation: undefined })]));
    expect(issues).toEqual([]);
    expect(incidents.map((i) => i.id)).toEqual(['INC-1', 'INC-2']);
    expect(incidents[0]).toEqual(incident('INC-1'));
    expect(incidents[1]!.remediation).toBeUndefined();
  });

  it('reports an invalid entry by its index and field path, skips it and keeps the others', () => {
    const bad = incident('INC-2', { rootCause: { service: 'db', category: 'cosmic-rays' } });
    const { incidents, issues } = parseHistory(JSON.stringify([incident('INC-1'), bad, incident('INC-3')]));
    expect(incidents.map((i) => i.id)).toEqual(['INC-1', 'INC-3']);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('1.rootCause.category');
    expect(issues[0]!.message).toMatch(/Invalid option: expected one of .*deploy.*resource.*dependency.*config.*other/);
  });

  it('reports every problem of an entry, and non-object entries at their index', () => {
    const bad = { ...incident('INC-1'), openedAt: 'yesterday', alerts: [{ service: 'a' }] };
    const { incidents, issues } = parseHistory(JSON.stringify([bad, 42]));
    expect(incidents).toEqual([]);
    expect(issues.map((i) => i.path).sort()).toEqual(['0.alerts.0.alertname', '0.openedAt', '1']);
  });

  it('lets the last of duplicate ids win, at its own place, and reports the duplicate', () => {
    const first = incident('INC-1', { title: 'first' });
    const last = incident('INC-1', { title: 'last' });
    const { incidents, issues } = parseHistory(JSON.stringify([first, incident('INC-2'), last]));
    expect(incidents.map((i) => [i.id, i.title])).toEqual([
      ['INC-2', 'incident INC-2'],
      ['INC-1', 'last'],
    ]);
    expect(issues).toEqual([{ path: '2.id', message: 'duplicate id "INC-1" (also at 0): this later entry replaces it' }]);
  });

  it('accepts an empty array and a leading byte-order mark', () => {
    expect(parseHistory('[]')).toEqual({ incidents: [], issues: [] });
    expect(parseHistory('\uFEFF' + JSON.stringify([incident('INC-1')])).incidents).toHaveLength(1);
  });

  it('throws HistoryFileError with a one-line reason for text that is not JSON', () => {
    expect(() => parseHistory('[{"id": "INC-1",')).toThrow(HistoryFileError);
    try {
      parseHistory('[{"id": "INC-1",');
    } catch (err) {
      expect((err as Error).message).toMatch(/^history file is not valid JSON: /);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('throws HistoryFileError when the document is not an array', () => {
    expect(() => parseHistory('{"incidents": []}')).toThrow(/must be a JSON array of incidents.*got an object/);
    expect(() => parseHistory('null')).toThrow(/got null/);
  });
});
