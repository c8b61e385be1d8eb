// Deploy events: the generic `deploy` webhook and GitHub `deployment_status`, plus the version each
// service runs over time (which the spans' service.version then reports).
import type { Rng } from './rng.js';
import type { TimedEvent } from './event-line.js';

export interface Deploy {
  service: string;
  at: number;
  version: string;
  previousVersion: string;
  author: string;
  via: 'deploy' | 'github';
  /** A canary: only its canary pod runs `version` (Fault.canary); the service's other pods keep the previous one. */
  canary?: boolean;
  /** Not reported by any deploy hook: only the spans' service.version show it. */
  unreported?: boolean;
}

const AUTHORS = ['alice', 'bob', 'carol', 'dmitri', 'eun-ji', 'farah', 'gustavo', 'deploy-bot', 'renovate[bot]'];

function semver(rng: Rng): [number, number, number] {
  return [rng.int(1, 4), rng.int(0, 40), rng.int(0, 12)];
}

export function planDeploy(rng: Rng, service: string, at: number): Deploy {
  const [a, b, c] = semver(rng);
  return {
    service,
    at,
    previousVersion: `v${a}.${b}.${c}`,
    version: rng.chance(0.8) ? `v${a}.${b}.${c + 1}` : `v${a}.${b + 1}.0`,
    author: rng.pick(AUTHORS),
    via: rng.chance(0.3) ? 'github' : 'deploy',
  };
}

/** The running version of each service at a time, from its deploys (before the first: the previous version). */
export function versionTimeline(rng: Rng, deploys: readonly Deploy[]): (service: string, at: number) => string {
  const byService = new Map<string, Deploy[]>();
  const defaults = new Map<string, string>();
  for (const d of [...deploys].sort((x, y) => x.at - y.at)) {
    // A canary's pod runs its version (versionAt in scenario-generator.ts); the service's other pods keep the previous.
    if (d.canary) defaults.set(d.service, d.previousVersion);
    else byService.set(d.service, [...(byService.get(d.service) ?? []), d]);
  }
  return (service, at) => {
    const list = byService.get(service);
    if (list && list.length > 0) {
      let v = list[0]!.previousVersion;
      for (const d of list) if (d.at + 60_000 <= at) v = d.version; // pods roll over about a minute after the deploy
      return v;
    }
    let v = defaults.get(service);
    if (!v) defaults.set(service, (v = `v${rng.int(1, 4)}.${rng.int(0, 40)}.${rng.int(0, 12)}`));
    return v;
  };
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A GitHub deployment status; `failed` reports the rollout as timed out (the same draws either way). */
function githubPayload(rng: Rng, d: Deploy, failed: boolean): unknown {
  const repo = d.service;
  const id = rng.int(1_000_000_000, 2_000_000_000);
  const sha = rng.hex(40);
  const user = { login: d.author, id: rng.int(1000, 9_000_000), type: d.author.endsWith('[bot]') ? 'Bot' : 'User' };
  const repoUrl = `https://api.github.com/repos/acme/${repo}`;
  const naming = rng.chance(0.7) ? { service: d.service } : {};
  return {
    action: 'created',
    deployment_status: {
      url: `${repoUrl}/deployments/${id}/statuses/${id + 7}`,
      id: id + 7,
      state: failed ? 'failure' : 'success',
      creator: user,
      description: failed ? `Deployment of ${d.version} failed: rollout timed out` : `Deployed ${d.version}`,
      environment: 'production',
      target_url: `https://github.com/acme/${repo}/actions/runs/${rng.int(1e9, 9e9)}`,
      created_at: isoSeconds(d.at),
      updated_at: isoSeconds(d.at),
      deployment_url: `${repoUrl}/deployments/${id}`,
      repository_url: repoUrl,
    },
    deployment: {
      url: `${repoUrl}/deployments/${id}`,
      id,
      sha,
      ref: d.version,
      task: 'deploy',
      payload: naming,
      original_environment: 'production',
      environment: 'production',
      description: null,
      creator: user,
      created_at: isoSeconds(d.at - 90_000),
      updated_at: isoSeconds(d.at),
      statuses_url: `${repoUrl}/deployments/${id}/statuses`,
      repository_url: repoUrl,
      transient_environment: false,
      production_environment: true,
    },
    repository: { id: rng.int(1e8, 9e8), name: repo, full_name: `acme/${repo}`, private: true, owner: { login: 'acme', type: 'Organization' }, html_url: `https://github.com/acme/${repo}`, default_branch: 'main' },
    organization: { login: 'acme' },
    sender: user,
  };
}

export function encodeDeploys(rng: Rng, deploys: readonly Deploy[], failedRollouts = false): TimedEvent[] {
  return deploys.map((d) =>
    d.via === 'github'
      ? { at: d.at + rng.between(200, 4000), type: 'github.deployment_status', payload: githubPayload(rng, d, failedRollouts) }
      : {
          at: d.at + rng.between(50, 2000),
          type: 'deploy',
          payload: { service: d.service, version: d.version, previousVersion: d.previousVersion, environment: 'production', timestamp: new Date(d.at).toISOString(), author: d.author, source: rng.pick(['argo-rollouts', 'jenkins', 'github-actions', 'spinnaker']) },
        },
  );
}
