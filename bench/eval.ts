// `npm run eval`: accuracy of root-cause ranking and incident clustering on generated incident families
// (bench/scenarios) and on the real PetShop cases, replayed through the same code as `rcabot replay`.
//   --seeds N         scenarios per family (default 20)
//   --first-seed N    start at this seed (default 1): seeds never looked at while tuning
//   --family NAME     only this family (repeatable or comma-separated)
//   --petshop [DIR]   the PetShop cases (default ../shared/datasets/petshop from the repo root)
//   --no-petshop      skip PetShop in the default run
//   --live SECONDS    also analyse every SECONDS of stream time while replaying, as the server does (incidents
//                     open as alerts settle and keep their alerts); default: one final analysis of the whole stream
//   --trace-share F   keep this share (0..1] of the generated scenarios' sampled traces: the same incidents, seen
//                     through sparser sampling
//   --call-graph-only spans show only the call graph, as datasets derived from metrics do (PetShop: one snapshot
//                     at the start, every span 5 ms and OK): the same incidents, from alerts and topology alone
//   --alerts-only     no spans at all, as where nothing is traced: the same incidents (and PetShop's cases, their
//                     OTLP lines left out), from the alerts (and deploys, history) alone; with --known-topology, from
//                     the alerts and a declared catalog
//   --failed-rollouts every deploy reported through GitHub (about 3 in 10) reports a failed rollout ("rollout timed
//                     out"), the bad deploys among them: the same incidents, read with failed rollouts
//   --topology NAME   play the families on a published system's call graph (online-boutique, sock-shop, train-ticket:
//                     the systems public fault-injection studies run on) instead of a generated one
//   --known-topology  also give the replay the scenario's whole call graph as a service catalog (`replay --catalog`):
//                     sparse traces read against the topology a server learns over hours, not the part one short
//                     stream shows
//   --misses          also list each incident whose root is not ranked first, and each clustering below F1 0.8
//   --json            one JSON document on stdout
//   --dump DIR        also write each generated scenario (events.ndjson, history.json, truth.json)
// For machine output through npm, silence its banner: `npm run --silent eval -- --json`.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayLines } from '../src/replay/replay.js';
import { HistoryFileSchema } from '../src/model/history.js';
import { BENCHMARK_TOPOLOGIES, type BenchmarkTopologyName } from './scenarios/benchmark-topologies.js';
import { FAMILY_NAMES, generateScenario, type FamilyName, type GenerateOptions } from './scenarios/scenario-generator.js';
import { scoreScenario, summarize, type ScenarioScore, type Summary } from './eval-metrics.js';
import { alertServices } from './alert-services.js';
import { CLUSTERING_LISTED_BELOW, describeClusteringMiss, describeRankingMiss, scenarioMisses, type ClusteringMiss, type RankingMiss } from './eval-misses.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_PETSHOP = resolve(REPO_ROOT, '../shared/datasets/petshop');

/** The dataset authors' own top-1 figures (Hardt et al. 2023), for comparison. */
const PETSHOP_BASELINE = { latency: 'top-1 0.57', availability: 'top-1 0.67–0.83' } as const;

interface Args {
  seeds: number;
  firstSeed: number;
  families: FamilyName[];
  petshop: string | null;
  json: boolean;
  dump: string | null;
  liveMs: number | null;
  traceShare: number | undefined;
  callGraphOnly: boolean;
  alertsOnly: boolean;
  failedRollouts: boolean;
  knownTopology: boolean;
  topology: BenchmarkTopologyName | undefined;
  misses: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 20, firstSeed: 1, families: [], petshop: null, json: false, dump: null, liveMs: null, traceShare: undefined, callGraphOnly: false, alertsOnly: false, failedRollouts: false, knownTopology: false, topology: undefined, misses: false };
  let petshopAsked = false;
  let noPetshop = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seeds') {
      args.seeds = Number(value());
      if (!Number.isInteger(args.seeds) || args.seeds < 1) throw new Error('--seeds must be a positive integer');
    } else if (a === '--first-seed') {
      args.firstSeed = Number(value());
      if (!Number.isInteger(args.firstSeed) || args.firstSeed < 1) throw new Error('--first-seed must be a positive integer');
    } else if (a === '--family') {
      for (const f of value().split(',')) {
        if (!(FAMILY_NAMES as readonly string[]).includes(f)) throw new Error(`--family: unknown family "${f}" (known: ${FAMILY_NAMES.join(', ')})`);
        args.families.push(f as FamilyName);
      }
    } else if (a === '--petshop') {
      petshopAsked = true;
      const next = argv[i + 1];
      args.petshop = next !== undefined && !next.startsWith('--') ? resolve(argv[++i]!) : DEFAULT_PETSHOP;
    } else if (a === '--no-petshop') noPetshop = true;
    else if (a === '--live') {
      const seconds = Number(value());
      if (!(seconds > 0)) throw new Error('--live must be a positive number of seconds');
      args.liveMs = seconds * 1000;
    } else if (a === '--trace-share') {
      const share = Number(value());
      if (!(share > 0 && share <= 1)) throw new Error('--trace-share must be a number in (0, 1]');
      args.traceShare = share;
    } else if (a === '--call-graph-only') args.callGraphOnly = true;
    else if (a === '--alerts-only') args.alertsOnly = true;
    else if (a === '--failed-rollouts') args.failedRollouts = true;
    else if (a === '--known-topology') args.knownTopology = true;
    else if (a === '--topology') {
      const name = value();
      if (!(BENCHMARK_TOPOLOGIES as readonly string[]).includes(name)) throw new Error(`--topology: unknown system "${name}" (known: ${BENCHMARK_TOPOLOGIES.join(', ')})`);
      args.topology = name as BenchmarkTopologyName;
    }
    else if (a === '--misses') args.misses = true;
    else if (a === '--json') args.json = true;
    else if (a === '--dump') args.dump = resolve(value());
    else throw new Error(`unknown option ${a}`);
  }
  const familiesAsked = args.families.length > 0;
  // Default run: every family, plus PetShop when the dataset is there. `--petshop` alone: PetShop only.
  if (!familiesAsked && !petshopAsked) args.families = [...FAMILY_NAMES];
  if (!familiesAsked && !petshopAsked && !noPetshop && existsSync(DEFAULT_PETSHOP)) args.petshop = DEFAULT_PETSHOP;
  return args;
}

interface FamilyResult {
  family: FamilyName;
  summary: Summary;
  meanReplayMs: number;
  meanEventsMB: number;
  /** With --misses: what went wrong, scenario by scenario. */
  misses?: Misses;
}

interface Misses {
  ranking: RankingMiss[];
  clustering: ClusteringMiss[];
}

/** Adds one scenario's misses to `into` (when misses are asked for). */
function collectMisses(into: Misses | undefined, ...args: Parameters<typeof scenarioMisses>): void {
  if (!into) return;
  const m = scenarioMisses(...args);
  into.ranking.push(...m.ranking);
  if (m.clustering) into.clustering.push(m.clustering);
}

async function evaluateFamily(
  family: FamilyName,
  seeds: number,
  firstSeed: number,
  dump: string | null,
  liveMs: number | null,
  knownTopology: boolean,
  generate: GenerateOptions,
  log: (line: string) => void,
  listMisses: boolean,
): Promise<FamilyResult> {
  const scores: ScenarioScore[] = [];
  const misses: Misses | undefined = listMisses ? { ranking: [], clustering: [] } : undefined;
  let replayMs = 0;
  let bytes = 0;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const scenario = generateScenario(family, seed, generate);
    bytes += scenario.events.reduce((n, l) => n + l.length + 1, 0);
    if (dump) {
      const dir = join(dump, `${family}-${seed}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'events.ndjson'), scenario.events.join('\n') + '\n');
      writeFileSync(join(dir, 'history.json'), JSON.stringify(scenario.history, null, 1) + '\n');
      writeFileSync(join(dir, 'truth.json'), JSON.stringify(scenario.truth, null, 1) + '\n');
      // The catalog as `replay --catalog` reads it (a plain list).
      if (knownTopology) writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ services: scenario.catalog.map((d) => ({ name: d.service, dependsOn: d.dependsOn })) }, null, 1) + '\n');
    }
    const t = performance.now();
    const result = await replayLines(scenario.events, {
      history: scenario.history,
      ...(liveMs !== null ? { analyzeEveryMs: liveMs } : {}),
      ...(knownTopology ? { engine: { declaredTopology: scenario.catalog } } : {}),
    });
    replayMs += performance.now() - t;
    const score = scoreScenario(scenario.truth, result.incidents);
    scores.push(score);
    collectMisses(misses, `${family}-${seed}`, scenario.truth, result.incidents, score);
  }
  log(`  ${family}: ${seeds} scenarios done`);
  return { family, summary: summarize(scores), meanReplayMs: replayMs / seeds, meanEventsMB: bytes / seeds / 1e6, ...(misses ? { misses } : {}) };
}

interface PetshopCase {
  name: string;
  metric: string;
  traffic: string;
  ac1: number;
  ac3: number;
  rank: number | null;
  rootCause: string;
  /** Whether one of the case's alerts names the root cause. */
  rootAlerts: boolean;
  predictedTop: string[];
  /** Whether the root cause heads any of the case's predicted incidents (not only the matched one). */
  headsAnIncident: boolean;
  /** How many incidents the case was split into. */
  incidents: number;
}

interface PetshopGroup {
  group: string;
  cases: number;
  ac1: number;
  ac3: number;
  baseline: string;
}

/** Whether a line of a recorded stream is an OTLP export (blank and malformed lines are kept for the replay to report). */
function isSpanLine(line: string): boolean {
  try {
    return (JSON.parse(line) as { type?: unknown }).type === 'otlp';
  } catch {
    return false;
  }
}

async function evaluatePetshop(dir: string, listMisses: boolean, alertsOnly: boolean): Promise<{ cases: PetshopCase[]; groups: PetshopGroup[]; summary: Summary; misses?: Misses }> {
  const cases: PetshopCase[] = [];
  const scores: ScenarioScore[] = [];
  const misses: Misses | undefined = listMisses ? { ranking: [], clustering: [] } : undefined;
  const names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'truth.json'))).map((d) => d.name).sort();
  if (names.length === 0) throw new Error(`--petshop: no cases with truth.json under ${dir}`);
  for (const name of names) {
    const truth = JSON.parse(readFileSync(join(dir, name, 'truth.json'), 'utf8')) as {
      incidents: { rootCause: string; alerts: string[] }[];
      noise?: string[];
      case?: string;
      sloViolation?: { metric?: string };
    };
    const historyPath = join(dir, name, 'history.json');
    const history = existsSync(historyPath) ? HistoryFileSchema.parse(JSON.parse(readFileSync(historyPath, 'utf8'))) : undefined;
    const recorded = readFileSync(join(dir, name, 'events.ndjson'), 'utf8').split('\n');
    const lines = alertsOnly ? recorded.filter((line) => !isSpanLine(line)) : recorded;
    const result = await replayLines(lines, history ? { history } : {});
    const services = alertServices(lines);
    const incidents = truth.incidents.map((i) => ({ ...i, rootAlerts: i.alerts.some((fp) => services.get(fp) === i.rootCause) }));
    const truthLike = { incidents, noise: truth.noise ?? [] };
    const score = scoreScenario(truthLike, result.incidents);
    scores.push(score);
    collectMisses(misses, name, truthLike, result.incidents, score);
    const first = score.incidents[0];
    const matched = first?.matchedIndex != null ? result.incidents[first.matchedIndex] : undefined;
    const rank = first?.rank ?? null;
    cases.push({
      name,
      metric: truth.sloViolation?.metric ?? 'other',
      traffic: (truth.case ?? name).startsWith('high') ? 'high' : (truth.case ?? name).startsWith('low') ? 'low' : 'other',
      ac1: rank !== null && rank <= 1 ? 1 : 0,
      ac3: rank !== null && rank <= 3 ? 1 : 0,
      rank,
      rootCause: truth.incidents[0]?.rootCause ?? '',
      rootAlerts: incidents[0]?.rootAlerts ?? false,
      predictedTop: matched ? matched.rootCauses.slice(0, 3).map((c) => c.service) : [],
      headsAnIncident: result.incidents.some((i) => i.rootCauses[0]?.service === truth.incidents[0]?.rootCause),
      incidents: result.incidents.length,
    });
  }
  const group = (label: string, pick: (c: PetshopCase) => boolean, baseline: string): PetshopGroup => {
    const sel = cases.filter(pick);
    const mean = (f: (c: PetshopCase) => number): number => (sel.length === 0 ? 0 : sel.reduce((n, c) => n + f(c), 0) / sel.length);
    return { group: label, cases: sel.length, ac1: mean((c) => c.ac1), ac3: mean((c) => c.ac3), baseline };
  };
  const groups = [
    group('all', () => true, ''),
    group('latency', (c) => c.metric === 'latency', PETSHOP_BASELINE.latency),
    group('availability/other', (c) => c.metric !== 'latency', PETSHOP_BASELINE.availability),
    group('high traffic', (c) => c.traffic === 'high', ''),
    group('low traffic', (c) => c.traffic === 'low', ''),
    group('root alerts', (c) => c.rootAlerts, ''),
    group('root silent', (c) => !c.rootAlerts, ''),
  ];
  return { cases, groups, summary: summarize(scores), ...(misses ? { misses } : {}) };
}

const f2 = (x: number): string => x.toFixed(2);

function familyTable(results: FamilyResult[], overall: Summary): string {
  const header = ['family', 'scen', 'inc', 'AC@1', 'AC@3', 'Avg@5', 'F1', 'absorbed', 'AC@1 root alerts / silent', 'MB/scen', 'replay ms'];
  const byRoot = (s: Summary): string => `${f2(s.ac1AlertingRoot)} (${s.alertingRoots}) / ${f2(s.ac1SilentRoot)} (${s.incidents - s.alertingRoots})`;
  const rows = results.map((r) => [
    r.family,
    String(r.summary.scenarios),
    String(r.summary.incidents),
    f2(r.summary.ac1),
    f2(r.summary.ac3),
    f2(r.summary.avg5),
    f2(r.summary.clusteringF1),
    `${f2(r.summary.absorbedShare)} (${r.summary.absorbedAlerts}/${r.summary.noiseAlerts})`,
    byRoot(r.summary),
    r.meanEventsMB.toFixed(1),
    String(Math.round(r.meanReplayMs)),
  ]);
  rows.push(['overall', String(overall.scenarios), String(overall.incidents), f2(overall.ac1), f2(overall.ac3), f2(overall.avg5), f2(overall.clusteringF1), `${f2(overall.absorbedShare)} (${overall.absorbedAlerts}/${overall.noiseAlerts})`, byRoot(overall), '', '']);
  return renderTable(header, rows);
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const started = performance.now();
  const families: FamilyResult[] = [];
  const generate: GenerateOptions = {
    ...(args.traceShare !== undefined ? { traceShare: args.traceShare } : {}),
    ...(args.callGraphOnly ? { callGraphOnly: true } : {}),
    ...(args.alertsOnly ? { alertsOnly: true } : {}),
    ...(args.failedRollouts ? { failedRollouts: true } : {}),
    ...(args.topology ? { topology: args.topology } : {}),
  };
  for (const family of args.families) families.push(await evaluateFamily(family, args.seeds, args.firstSeed, args.dump, args.liveMs, args.knownTopology, generate, log, args.misses));
  const pooled = families.length > 0 ? poolSummaries(families.map((f) => f.summary)) : null;
  const petshop = args.petshop ? await evaluatePetshop(args.petshop, args.misses, args.alertsOnly) : null;
  const seconds = (performance.now() - started) / 1000;

  if (args.json) {
    process.stdout.write(`${JSON.stringify({ seeds: args.seeds, traceShare: args.traceShare ?? 1, callGraphOnly: args.callGraphOnly, alertsOnly: args.alertsOnly, failedRollouts: args.failedRollouts, knownTopology: args.knownTopology, topology: args.topology ?? null, families, overall: pooled, petshop: petshop && { dir: args.petshop, ...petshop }, seconds }, null, 1)}\n`);
    return;
  }
  if (pooled) {
    const live = args.liveMs !== null ? `, analysed live every ${args.liveMs / 1000} s of stream time` : '';
    const mode = `${live}${args.traceShare !== undefined ? `, ${args.traceShare} of the sampled traces kept` : ''}${args.callGraphOnly ? ', spans carrying the call graph only' : ''}${args.alertsOnly ? ', no spans' : ''}${args.failedRollouts ? ', GitHub deploys reporting failed rollouts' : ''}${args.knownTopology ? ', the whole call graph declared as a catalog' : ''}${args.topology ? `, on ${args.topology}'s call graph` : ''}`;
    console.log(`Generated families (${args.seeds} seeds each${mode}; AC@k over incidents, F1 = mean pairwise clustering F1 per scenario, absorbed = noise alerts grouped with an incident)\n`);
    console.log(familyTable(families, pooled));
    console.log('');
    if (args.misses) printMisses('generated incidents', families.flatMap((f) => f.misses ?? { ranking: [], clustering: [] }));
  }
  if (petshop) {
    console.log(`PetShop (${petshop.cases.length} real cases from ${args.petshop})\n`);
    console.log(renderTable(['cases', 'n', 'AC@1', 'AC@3', 'authors\' baseline'], petshop.groups.map((g) => [g.group, String(g.cases), f2(g.ac1), f2(g.ac3), g.baseline])));
    const heads = petshop.cases.filter((c) => c.headsAnIncident).length;
    const meanIncidents = petshop.cases.reduce((n, c) => n + c.incidents, 0) / petshop.cases.length;
    console.log(`\nclustering F1 ${f2(petshop.summary.clusteringF1)}, Avg@5 ${f2(petshop.summary.avg5)}`);
    // AC@k reads the root's rank in the incident holding most of the case's alerts; this reads all of them.
    console.log(`the root cause heads one of the case's incidents in ${heads} of ${petshop.cases.length} cases (${meanIncidents.toFixed(1)} incidents per case on average)`);
    console.log('');
    if (petshop.misses) printMisses('PetShop', [petshop.misses]);
  }
  console.log(`(${seconds.toFixed(1)} s)`);
}

function printMisses(what: string, all: Misses[]): void {
  const ranking = all.flatMap((m) => m.ranking);
  const clustering = all.flatMap((m) => m.clustering);
  console.log(`${what}: ${ranking.length} incidents whose root cause is not ranked first`);
  for (const m of ranking) console.log(`  ${describeRankingMiss(m)}`);
  console.log(`${what}: ${clustering.length} scenarios clustered below F1 ${CLUSTERING_LISTED_BELOW}`);
  for (const m of clustering) console.log(`  ${describeClusteringMiss(m)}`);
  console.log('');
}

/** Overall figures: AC@k pooled over all incidents (weighted by incident count), F1 over all scenarios. */
function poolSummaries(list: Summary[]): Summary {
  const incidents = list.reduce((n, s) => n + s.incidents, 0);
  const scenarios = list.reduce((n, s) => n + s.scenarios, 0);
  const weighted = (f: (s: Summary) => number, by: (s: Summary) => number, total: number): number => (total === 0 ? 0 : list.reduce((n, s) => n + f(s) * by(s), 0) / total);
  const noiseAlerts = list.reduce((n, s) => n + s.noiseAlerts, 0);
  const absorbedAlerts = list.reduce((n, s) => n + s.absorbedAlerts, 0);
  const alertingRoots = list.reduce((n, s) => n + s.alertingRoots, 0);
  return {
    scenarios,
    incidents,
    alertingRoots,
    ac1AlertingRoot: weighted((s) => s.ac1AlertingRoot, (s) => s.alertingRoots, alertingRoots),
    ac1SilentRoot: weighted((s) => s.ac1SilentRoot, (s) => s.incidents - s.alertingRoots, incidents - alertingRoots),
    ac1: weighted((s) => s.ac1, (s) => s.incidents, incidents),
    ac3: weighted((s) => s.ac3, (s) => s.incidents, incidents),
    avg5: weighted((s) => s.avg5, (s) => s.incidents, incidents),
    clusteringF1: weighted((s) => s.clusteringF1, (s) => s.scenarios, scenarios),
    noiseAlerts,
    absorbedAlerts,
    absorbedShare: noiseAlerts === 0 ? 0 : absorbedAlerts / noiseAlerts,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`eval: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
