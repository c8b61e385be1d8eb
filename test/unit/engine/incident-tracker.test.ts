import { describe, it, expect } from 'vitest';
import { IncidentTracker, instanceKey } from '../../../src/engine/incident-tracker.js';
import type { Alert } from '../../../src/model/alert.js';
import { alert, MIN, T0 } from '../../support/alerts.js';

describe('incident identity', () => {
  it('keeps ids and members when clusters are recomputed, and lets new alerts join', () => {
    const t = new IncidentTracker();
    const a = alert('checkout', 'E', 0);
    const b = alert('cart', 'E', 1);
    t.assign([[a, b]]);
    const [inc] = [...t.incidents.values()];
    const c = alert('frontend', 'E', 2);
    // Re-clustering puts b in a different cluster now: b must not move, c joins the incident it clusters with.
    t.assign([[a, c], [b]]);
    expect(t.incidents.size).toBe(1);
    expect(inc!.members).toEqual([instanceKey(a), instanceKey(b), instanceKey(c)]);
  });

  it('never merges two incidents when a new alert bridges them; it joins the one it shares most with', () => {
    const t = new IncidentTracker();
    const a1 = alert('a', 'E', 0);
    const a2 = alert('a', 'F', 0);
    const b1 = alert('b', 'E', 5);
    t.assign([[a1, a2], [b1]]);
    const bridge = alert('c', 'E', 6);
    t.assign([[a1, a2, b1, bridge]]);
    expect(t.incidents.size).toBe(2);
    const owner = [...t.incidents.values()].find((i) => i.members.includes(instanceKey(bridge)))!;
    expect(owner.members).toContain(instanceKey(a1));
  });

  it('resolves when no member fires, and a re-fire later opens a new incident', () => {
    const t = new IncidentTracker();
    const a = alert('a', 'E', 0);
    t.assign([[a]]);
    t.refreshStatus(() => false, () => 123);
    const first = [...t.incidents.values()][0]!;
    expect(first.status).toBe('resolved');
    expect(first.resolvedAt).toBe(123);
    t.assign([[alert('a', 'E', 60, { fingerprint: a.fingerprint })]]);
    expect(t.incidents.size).toBe(2);
  });

  it('gives the same id for the same first alert, and restores from a snapshot', () => {
    const t1 = new IncidentTracker();
    const t2 = new IncidentTracker();
    t1.assign([[alert('a', 'E', 0)]]);
    t2.assign([[alert('a', 'E', 0)]]);
    expect([...t1.incidents.keys()]).toEqual([...t2.incidents.keys()]);
    const t3 = new IncidentTracker();
    t3.restore(t1.snapshot());
    t3.assign([[alert('a', 'E', 0), alert('b', 'E', 1)]]);
    expect(t3.incidents.size).toBe(1);
    expect([...t3.incidents.values()][0]!.fingerprints.size).toBe(2);
  });
  it('sends a cluster that would open an incident to the open incident sameFailure names, and says which ones it opens', () => {
    const t = new IncidentTracker();
    const a = alert('checkout', 'E', 0);
    const b = alert('cart', 'E', 1);
    const opened: Array<[string, string[]]> = [];
    const asked: string[][] = [];
    const sameAsFirst = {
      find: (cluster: readonly Alert[]) => {
        asked.push(cluster.map((x) => x.service));
        return opened[0]?.[0];
      },
      opened: (id: string, cluster: readonly Alert[]) => opened.push([id, cluster.map((x) => x.service)]),
    };
    t.assign([[a], [b]], () => true, sameAsFirst);
    expect(t.incidents.size).toBe(1);
    expect(opened).toEqual([[[...t.incidents.keys()][0]!, ['checkout']]]);
    expect([...t.incidents.values()][0]!.members).toEqual([instanceKey(a), instanceKey(b)]);
    // Only clusters about to open an incident are asked; one whose alerts joined already is not.
    expect(asked).toEqual([['checkout'], ['cart']]);
    t.assign([[a, b]], () => true, sameAsFirst);
    expect(asked).toHaveLength(2);
  });

  it('opens a new incident when sameFailure names a resolved one or none', () => {
    const t = new IncidentTracker();
    const a = alert('a', 'E', 0);
    t.assign([[a]]);
    const first = [...t.incidents.values()][0]!;
    t.refreshStatus(() => false, () => T0 + MIN);
    const b = alert('a', 'E', 10);
    t.assign([[b]], () => true, { find: () => first.id, opened: () => {} });
    expect(t.incidents.size).toBe(2);
    const c = alert('c', 'E', 11);
    t.assign([[c]], () => true, { find: () => undefined, opened: () => {} });
    expect(t.incidents.size).toBe(3);
  });

  it('keeps alerts that sameFailure calls another failure out of the open incident they cluster with', () => {
    const t = new IncidentTracker();
    const a = alert('checkout', 'E', 0);
    t.assign([[a]]);
    const first = [...t.incidents.values()][0]!;
    const b = alert('auth', 'E', 3);
    const c = alert('cart', 'E', 4);
    const asked: Array<[string, string[]]> = [];
    const anotherIfAuth = {
      find: () => undefined,
      opened: () => {},
      another: (id: string, alerts: readonly Alert[]) => {
        asked.push([id, alerts.map((x) => x.service)]);
        return alerts.some((x) => x.service === 'auth');
      },
    };
    // Not settled yet: held back, as any cluster about to open an incident.
    expect(t.assign([[a, b]], () => false, anotherIfAuth)).toBe(1);
    expect(t.incidents.size).toBe(1);
    t.assign([[a, b], [a, c]], () => true, anotherIfAuth);
    expect(asked.map(([id]) => id)).toEqual([first.id, first.id, first.id]);
    expect(t.incidents.size).toBe(2);
    expect(first.members).toEqual([instanceKey(a), instanceKey(c)]);
    expect([...t.incidents.values()][1]!.members).toEqual([instanceKey(b)]);
  });
});
