/** Recommendations a person can act on, each with its evidence. Simple, deterministic heuristics over the report's figures. */
import type { Datasource } from '../datasource/index.js';
import { formatDuration, parseDuration } from '../promql/index.js';
import type { EpisodeHistory } from './history.js';
import { firedIn, selfResolved, type Window } from './collect.js';
import type { RuleSource } from './rule-source.js';
import { backtestRaisedThreshold, raisedValue } from './threshold.js';
import type { Recommendation, RuleFigures, WorkingHours } from './types.js';
import { inWorkingHours } from './zoned.js';

/** A rule needs at least this many fires before its pattern is worth a recommendation. */
export const MIN_FIRES = 3;
/** Without a `for`, raising it to this would need the condition to hold two 1m evaluations. */
const DEFAULT_PROPOSED_FOR_MS = 120_000;
/** Starts of ≥3 different agents within this long count as "many agents at once". */
const BURST_MS = 300_000;
export const DEFAULT_THRESHOLD_FACTOR = 1.5;

export interface RecommendInput {
  figures: RuleFigures[];
  episodes: EpisodeHistory[];
  window: Window;
  alwaysFiring: string[];
  sources: Map<string, RuleSource>;
  timeZone: string;
  workingHours: WorkingHours;
  backtest?: { datasource: Datasource; factor?: number };
}

const pct = (n: number, d: number) => `${Math.round((100 * n) / d)}%`;
const NEXT_SEVERITY: Record<string, string> = { P1: 'P2', P2: 'P3' };

export async function recommend(input: RecommendInput): Promise<Recommendation[]> {
  const out: Recommendation[] = [];
  for (const f of input.figures) {
    const fired = firedIn(input.episodes.filter((e) => e.alertname === f.alertname), input.window);
    const source = input.sources.get(f.alertname);
    if (input.alwaysFiring.includes(f.alertname)) out.push(alwaysFiring(f));
    const raiseFor = raiseForRecommendation(f, fired, source);
    if (raiseFor) out.push(raiseFor);
    const mostlyNoise = f.noise >= 2 && f.noise > f.actionable;
    if (mostlyNoise && source?.thresholdVar) out.push(await raiseThreshold(f, source, input));
    const verdict = deleteOrDemote(f);
    if (verdict) out.push(verdict);
    const guard = volumeGuard(f, fired, source, input);
    if (guard) out.push(guard);
  }
  return out;
}

/** Firing most of the week says nothing anyone acts on. */
function alwaysFiring(f: RuleFigures): Recommendation {
  return {
    kind: 'delete',
    alertname: f.alertname,
    action: `Delete ${f.alertname} or fix its expression: it is always firing`,
    evidence: `firing ${pct(f.firingShare, 1)} of the period; an alert that never stops carries no signal`,
    figures: { firingShare: f.firingShare },
  };
}

/** The condition held only a little longer than `for` and cleared by itself: a longer `for` would have kept it quiet. */
function raiseForRecommendation(f: RuleFigures, fired: EpisodeHistory[], source: RuleSource | undefined): Recommendation | undefined {
  // without the rule file its `for` is unknown, and so is what raising it would avoid
  if (fired.length < MIN_FIRES || !source) return undefined;
  const forMs = source.rule.for ? parseDuration(source.rule.for) : 0;
  const proposedMs = forMs > 0 ? 2 * forMs : DEFAULT_PROPOSED_FOR_MS;
  // an episode whose firing lasted less than the extra wait would never have fired
  const avoided = fired.filter((e) => selfResolved(e) && (e.resolvedAt as number) - e.startsAt < proposedMs - forMs);
  if (avoided.length * 2 < fired.length) return undefined;
  const current = forMs > 0 ? formatDuration(forMs) : 'none';
  return {
    kind: 'raise-for',
    alertname: f.alertname,
    action: `Raise \`for\` of ${f.alertname} from ${current} to ${formatDuration(proposedMs)}`,
    evidence: `${avoided.length} of ${f.fired} fires (${pct(avoided.length, f.fired)}) resolved on their own within ${formatDuration(proposedMs - forMs)} of firing, before anyone looked; with for: ${formatDuration(proposedMs)} they would not have fired`,
    figures: { fires: f.fired, avoided: avoided.length, forMs, proposedForMs: proposedMs },
  };
}

/** Mostly noise and the rule fires above a var: backtest the var raised to say how many fires it would have avoided. */
async function raiseThreshold(f: RuleFigures, source: RuleSource, input: RecommendInput): Promise<Recommendation> {
  const name = source.thresholdVar as string;
  const factor = input.backtest?.factor ?? DEFAULT_THRESHOLD_FACTOR;
  const current = source.vars[name];
  const raised = raisedValue(current, factor);
  const base = `${f.noise} of ${f.noise + f.actionable} verdicts were noise`;
  const rec: Recommendation = {
    kind: 'raise-threshold',
    alertname: f.alertname,
    action: `Raise ${name} of group ${source.group.name} from ${current} to ${raised}`,
    evidence: '',
    figures: { noise: f.noise, actionable: f.actionable, current, raised },
  };
  if (!input.backtest) {
    rec.evidence = `${base}; not backtested (no Prometheus given)`;
    return rec;
  }
  try {
    const b = await backtestRaisedThreshold(source, input.backtest.datasource, input.window.from, input.window.to, factor);
    rec.evidence = `${base}; backtested over the period against Prometheus: ${b.firesNow} fires at ${current}, ${b.firesRaised} at ${raised} — ${b.firesNow - b.firesRaised} ${b.firesNow - b.firesRaised === 1 ? 'fire' : 'fires'} avoided`;
    Object.assign(rec.figures, { backtestFires: b.firesNow, backtestFiresRaised: b.firesRaised, avoided: b.firesNow - b.firesRaised });
  } catch (err) {
    rec.evidence = `${base}; not backtested: Prometheus unreachable or the query failed (${(err as Error).message})`;
  }
  return rec;
}

/** Never actionable: delete a P3, demote the others; mostly noise: demote. */
function deleteOrDemote(f: RuleFigures): Recommendation | undefined {
  const verdicts = f.actionable + f.noise;
  const next = NEXT_SEVERITY[f.severity];
  if (verdicts >= MIN_FIRES && f.actionable === 0) {
    return next
      ? { kind: 'demote', alertname: f.alertname, action: `Demote ${f.alertname} from ${f.severity} to ${next}`, evidence: `none of ${verdicts} verdicts was actionable`, figures: { actionable: 0, noise: f.noise } }
      : { kind: 'delete', alertname: f.alertname, action: `Delete ${f.alertname}`, evidence: `none of ${verdicts} verdicts was actionable, and it is already ${f.severity}`, figures: { actionable: 0, noise: f.noise } };
  }
  // three in four noise: it still catches something, but not at this urgency
  if (verdicts >= 4 && next && f.noise * 4 >= verdicts * 3) {
    return { kind: 'demote', alertname: f.alertname, action: `Demote ${f.alertname} from ${f.severity} to ${next}`, evidence: `${f.noise} of ${verdicts} verdicts (${pct(f.noise, verdicts)}) were noise`, figures: { actionable: f.actionable, noise: f.noise } };
  }
  return undefined;
}

/** Fires that come in bursts across agents, or mostly off-hours when traffic is low, want a volume guard. */
function volumeGuard(f: RuleFigures, fired: EpisodeHistory[], source: RuleSource | undefined, input: RecommendInput): Recommendation | undefined {
  if (fired.length < MIN_FIRES) return undefined;
  const starts = [...fired].sort((a, b) => a.startsAt - b.startsAt);
  const inBurst = starts.filter((e) => {
    const agents = new Set(starts.filter((o) => Math.abs(o.startsAt - e.startsAt) <= BURST_MS).map((o) => o.labels.agent_id ?? ''));
    return agents.size >= 3;
  });
  if (inBurst.length * 2 >= fired.length) {
    return {
      kind: 'volume-guard',
      alertname: f.alertname,
      action: `Add a volume guard to ${f.alertname} (or alert once for the fleet)`,
      evidence: `${inBurst.length} of ${f.fired} fires came with 3 or more agents starting within ${formatDuration(BURST_MS)} of each other: a shared cause, not ${inBurst.length} incidents`,
      figures: { fires: f.fired, inBurst: inBurst.length },
    };
  }
  if (!source || source.hasVolumeGuard) return undefined;
  // off-hours is the proxy for low traffic: the store keeps no request rates
  const offHours = fired.filter((e) => !inWorkingHours(e.startsAt, input.timeZone, input.workingHours));
  if (offHours.length * 3 >= fired.length * 2) {
    return {
      kind: 'volume-guard',
      alertname: f.alertname,
      action: `Add a volume guard (a minimum request rate) to ${f.alertname}`,
      evidence: `${offHours.length} of ${f.fired} fires (${pct(offHours.length, f.fired)}) started outside working hours, when traffic is low and a few failures make a large ratio`,
      figures: { fires: f.fired, offHours: offHours.length },
    };
  }
  return undefined;
}
