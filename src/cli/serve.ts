import type { Server } from 'node:http';
import type { Command } from 'commander';
import { pino } from 'pino';
import { loadConfigFile, redact, type Config } from '../config/index.js';
import { PrometheusDatasource, type Datasource } from '../datasource/index.js';
import { Evaluator } from '../eval/index.js';
import { Router, type RoutingConfig } from '../dispatch/index.js';
import { IntegrationLog } from '../notify/index.js';
import { DEFAULT_ROUTE_OPTIONS, RateLimiters, Silences, type HeldAlerts, type Route } from '../route/index.js';
import { scheduleWeeklyReport } from './report-schedule.js';
import { formatDiagnostic, hasErrors, loadRuleFiles, type RuleGroup as RuleGroupSpec } from '../rules/index.js';
import { profileOption } from './vars.js';
import { dedupKey } from '../notify/index.js';
import {
  createApp,
  EvaluationMetrics,
  evaluatorAlerts,
  FeedbackLinks,
  feedbackRoutes,
  historyRoutes,
  pagerdutyWebhookRoutes,
  promQueryRoutes,
  RouterMetrics,
  statusRoutes,
  ticketRoutes,
  uiRoutes,
} from '../server/index.js';
import { buildPipeline } from './pipeline.js';
import { openReplica, type Replica } from './cluster.js';
import { API_QUERY_LIMITS, openEmbedded, type Embedded } from './embedded.js';
import { QueryPool } from '../promql/index.js';
import { Ingestion } from './ingestion.js';
import { alertEvent, PostgresStore } from '../store/index.js';
import { openStore, storeMetrics, storeName } from './store.js';
import type { Io } from './output.js';
import { VERSION } from './version.js';

interface ServeFlags {
  config: string;
  logLevel: string;
}

export function registerServe(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('evaluate the rules on schedule, take alerts from Prometheus and Alertmanager, route and notify them; serve the API and /metrics')
    .option('-c, --config <file>', 'vigil.yaml', 'vigil.yaml')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (flags: ServeFlags) => setExit(await serve(flags, io)));
}

/** Without a `route` in vigil.yaml every alert goes to one receiver with no integrations: visible in the API, sent nowhere. */
const UNROUTED: Route = { options: { ...DEFAULT_ROUTE_OPTIONS, receiver: 'unrouted' }, matchers: [], continue: false, routes: [], key: '{}' };

function routingConfig(config: Config): RoutingConfig {
  return {
    route: config.route ?? UNROUTED,
    receivers: config.route ? config.receivers : [...config.receivers, { name: 'unrouted', pagerduty: [], slack: [], webhook: [], ticket: [], grafana: [] }],
    inhibitRules: config.inhibitRules,
    timeIntervals: config.timeIntervals,
    flapping: config.global.flapping,
  };
}

export async function loadRules(config: Config): Promise<RuleGroupSpec[] | string> {
  const { profile, diagnostics } = await profileOption(config.ruleProfile?.name, config.ruleProfile?.base);
  if (diagnostics.length) return diagnostics.map(formatDiagnostic).join('\n');
  // the pack's runbooks link to this vigil's own /runbooks unless a runbook_base_url var says otherwise
  const loaded = await loadRuleFiles(config.ruleFiles, { profile, runbookBaseURL: `${config.server.externalURL.replace(/\/+$/, '')}/runbooks` });
  if (hasErrors(loaded.diagnostics) || loaded.problems.length) {
    return [...loaded.problems.map((p) => `error: ${p}`), ...loaded.diagnostics.map(formatDiagnostic)].join('\n');
  }
  return loaded.files.flatMap((f) => f.groups);
}

async function serve(flags: ServeFlags, io: Io): Promise<number> {
  let config = await loadConfigFile(flags.config);
  const log = pino({ level: flags.logLevel, base: { service: 'vigil' } });
  const rules = await loadRules(config);
  if (typeof rules === 'string') {
    io.err(rules + '\n');
    return 1;
  }
  const store = await openStore(config, {
    onWriteError: (err, what) => log.error({ err: err.message }, `could not write ${what}`),
    onInfo: (msg, fields) => log.info({ component: 'store', ...fields }, msg),
    replicaId: config.cluster?.replicaId,
  });
  const silences = await Silences.open({ store });
  if (!config.route) log.warn({}, 'vigil.yaml has no route: alerts are kept and shown, but nobody is notified');

  let evaluator: Evaluator | undefined;
  let ruleGroups: RuleGroupSpec[] = rules;
  let stopReport: () => void = () => undefined;
  // Opened once, when a config first needs it, and kept across reloads.
  let embedded: Embedded | undefined;
  const datasourceOf = async (cfg: Config): Promise<{ datasource: Datasource; name: string }> => {
    if (cfg.datasource.prometheus) return { datasource: new PrometheusDatasource({ ...cfg.datasource.prometheus, logger: log }), name: redact(cfg.datasource.prometheus.url) };
    embedded ??= await openEmbedded(cfg.datasource.embedded!, log.child({ component: 'tsdb' }));
    return { datasource: embedded.datasource, name: embedded.name };
  };
  const startReport = (cfg: Config, datasource: Datasource) =>
    scheduleWeeklyReport({
      config: cfg,
      store,
      datasource,
      logger: log.child({ component: 'report' }),
      rules: () => ruleGroups,
    });
  // The API and /metrics read through this, so a reload can swap the evaluator underneath.
  const evaluation = { allGroups: () => evaluator?.allGroups() ?? [] };
  const metrics = new EvaluationMetrics(evaluation);
  const routerMetrics = new RouterMetrics(metrics.registry, () => router);
  storeMetrics(metrics.registry, store);
  const feedbackLinks = await FeedbackLinks.open({ store, externalURL: config.server.externalURL, signingKey: config.feedback.signingKey });
  const integrationLog = await IntegrationLog.open(store, Date.now(), (err, entry) =>
    log.error({ err: err.message, group: entry.groupKey, integration: entry.integration }, 'could not persist the notification log'),
  );
  // several replicas: leases for the rule groups and claims for the notifications (one replica: neither)
  let replica: Replica;
  try {
    replica = await openReplica(config, integrationLog, log, () => (store instanceof PostgresStore ? store.connected() : true), metrics.registry);
  } catch (err) {
    io.err(`vigil serve: cannot coordinate with the other replicas (cluster, storage.postgres): ${(err as Error).message}\n`);
    await store.close();
    return 1;
  }
  const rateLimiters = new RateLimiters();
  // the mute stage reads the router's held alerts (inhibition sources); the router is built just below
  const held: HeldAlerts = { alerts: () => router.held.alerts(), revision: () => router.held.revision() };
  const pipeline = (routing: RoutingConfig) =>
    buildPipeline({
      receivers: routing.receivers,
      inhibitRules: routing.inhibitRules,
      timeIntervals: routing.timeIntervals,
      silences,
      held,
      rateLimiters,
      integrationLog,
      claim: replica.claim,
      integrationContext: { store },
      feedbackLinks: (n) => feedbackLinks.linksFor(n),
      onStorm: (receiver, alerts) => routerMetrics.stormCollapsed(receiver, alerts),
      logger: log.child({ component: 'router' }),
    });
  const routing = routingConfig(config);
  const router: Router = await Router.open({
    config: routing,
    pipeline: pipeline(routing),
    limits: config.limits,
    silences,
    store,
    externalURL: config.server.externalURL,
    resolveTimeoutMs: config.global.resolveTimeoutMs,
    historyRetentionMs: config.history.retentionMs,
    logger: log.child({ component: 'router' }),
    metrics: routerMetrics,
    onGc: (now, heldGroup) => integrationLog.prune(now, heldGroup),
  });

  const startEvaluator = async (cfg: Config, groups: RuleGroupSpec[], { datasource, name: datasourceName }: { datasource: Datasource; name: string }) => {
    const ev: Evaluator = new Evaluator(groups, {
      datasource,
      store,
      externalLabels: cfg.evaluation.externalLabels,
      externalURL: cfg.server.externalURL,
      outageToleranceMs: cfg.evaluation.outageToleranceMs,
      datasourceDownAfter: cfg.evaluation.datasourceDownAfter,
      datasourceName,
      leases: replica.leases,
      logger: log,
      onEvaluated: (group, result) => {
        metrics.observe(group, result);
        router.receiveEvaluated(group.key, evaluatorAlerts([group], result.ts, datasourceName));
        router.receiveEvaluated(ev.selfGroup.key, evaluatorAlerts([ev.selfGroup], result.ts, datasourceName));
      },
      onFollowed: (group, ts) => void router.receiveEvaluated(group.key, evaluatorAlerts([group], ts, datasourceName)),
      onMissed: (group, missed) => metrics.observeMissed(group, missed),
      onTransition: ({ rule, alert, to }) => {
        const fields = { alertname: rule.name, labels: alert.labels, value: alert.value, activeAt: new Date(alert.activeAt).toISOString() };
        if (to === 'firing') log.warn({ ...fields, annotations: alert.annotations }, 'alert firing');
        else if (to === 'inactive') log.info(fields, 'alert resolved');
        else if (to === 'pending') {
          log.info(fields, 'alert pending');
          // firing and resolved are written by the router, for every source alike
          try {
            store.recordAlertEvent(alertEvent({ ...alert, startsAt: alert.activeAt }, Date.now(), 'pending', 'evaluator'));
          } catch (err) {
            log.error({ err: (err as Error).message }, 'could not write the alert history');
          }
        }
      },
    });
    replica.setGroups(ev.groups.map((g) => g.key));
    const { restored, discarded } = await ev.restore();
    log.info({ restored, discarded, groups: ev.groups.length, store: storeName(cfg) }, 'alert state restored');
    ev.start();
    return ev;
  };

  /** Re-reads vigil.yaml and the rule files; on any error the running config stays, untouched. */
  let reloading: Promise<void> = Promise.resolve();
  const reload = ({ tell = true }: { tell?: boolean } = {}): Promise<void> => {
    const run = reloading.then(async () => {
      const next = await loadConfigFile(flags.config);
      const groups = await loadRules(next);
      if (typeof groups === 'string') throw new Error(`rule files: ${groups}`);
      for (const [what, before, after] of [
        ['server.listen', `${config.server.host}:${config.server.port}`, `${next.server.host}:${next.server.port}`],
        ['storage.sqlite.path', config.storage.sqlite.path, next.storage.sqlite.path],
        ['storage.postgres', storeName(config), storeName(next)],
        ['server.max_request_bytes', String(config.server.maxRequestBytes), String(next.server.maxRequestBytes)],
        ['server.external_url', config.server.externalURL, next.server.externalURL],
      ]) {
        if (before !== after) log.warn({ setting: what }, 'this setting changes only on restart');
      }
      if (embedded && next.datasource.embedded && next.datasource.embedded.path !== embedded.path) {
        log.warn({ setting: 'datasource.embedded.path' }, 'this setting changes only on restart');
      }
      // before anything changes: a storage that cannot be opened fails the reload
      const source = await datasourceOf(next);
      const nextRouting = routingConfig(next);
      router.reload(nextRouting, pipeline(nextRouting));
      router.setLimits(next.limits);
      await ingestion.apply(next, embedded?.storage);
      await evaluator?.stop(); // finishes and persists the running evaluations; the new one restores them
      evaluator = await startEvaluator(next, groups, source);
      datasourceName = source.name;
      ruleGroups = groups;
      stopReport();
      stopReport = startReport(next, source.datasource);
      config = next;
      log.info({ config: flags.config, groups: groups.length, receivers: next.receivers.length }, 'configuration reloaded');
      // the other replicas re-read their own vigil.yaml too (one told by the feed does not tell back)
      if (tell) store.publish('config');
    });
    reloading = run.catch(() => undefined);
    return run;
  };
  const reloadLogged = (how: string, tell = true) =>
    reload({ tell }).then(
      () => true,
      (err: Error) => {
        log.error({ how, err: err.message }, 'reload failed; the previous configuration keeps running');
        return false;
      },
    );

  const source = await datasourceOf(config);
  let datasourceName = source.name;
  const ingestion = new Ingestion({ registry: metrics.registry, logger: log, userAgent: `vigil/${VERSION}` });
  let ready = false;
  const queryPool = new QueryPool(() => {
    if (!embedded) throw new Error('the embedded datasource is not open');
    return embedded.storage;
  });
  const app = createApp({
    evaluator: evaluation,
    metrics,
    router,
    isReady: () => ready,
    readiness: () => replica.readiness(),
    bearerToken: () => config.server.bearerToken,
    maxRequestBytes: config.server.maxRequestBytes,
    limits: () => config.limits,
    reload,
    logger: log,
    routes: [
      statusRoutes({ config: () => config.original, version: VERSION, startedAt: Date.now(), datasource: () => datasourceName }),
      // Prometheus' query API, on vigil's own storage only (with datasource.prometheus, ask that Prometheus)
      promQueryRoutes({
        storage: () => (config.datasource.embedded ? embedded?.storage : undefined),
        engine: API_QUERY_LIMITS,
        version: VERSION,
        maxRequestBytes: config.server.maxRequestBytes,
        // a dashboard's heavy query computes on a worker thread, not on the event loop
        engineRunner: queryPool,
      }),
      // Remote write and OTLP into the embedded storage (404 with datasource.prometheus)
      ingestion.routes(() => (config.datasource.embedded ? embedded?.storage : undefined), config.server.maxRequestBytes),
      historyRoutes({ store }),
      ticketRoutes({ store }),
      feedbackRoutes({ links: feedbackLinks, store, currentAlerts: () => router.heldAlerts(), maxRequestBytes: config.server.maxRequestBytes }),
      pagerdutyWebhookRoutes({
        secret: () => config.feedback.pagerdutyWebhookSecret,
        resolveGroup: (key) => {
          const alerts = router.groupAlerts((groupKey) => dedupKey(groupKey) === key);
          return alerts && { alerts };
        },
        store,
        maxRequestBytes: config.server.maxRequestBytes,
      }),
      // the web UI at /
      uiRoutes({ router, routing: () => routingConfig(config), evaluator: evaluation, store, tokenRequired: () => Boolean(config.server.bearerToken), review: () => config.report, queryApi: Boolean(embedded) }),
    ],
  });
  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      // express 5 hands a listen error to this callback too
      const s = app.listen(config.server.port, config.server.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EADDRNOTAVAIL' ? 'no such local address' : e.message;
    io.err(`vigil serve: cannot listen on ${config.server.host}:${config.server.port} (server.listen): ${why}\n`);
    await router.stop();
    await replica.stop();
    await queryPool.close();
    await embedded?.close();
    await store.close();
    return 1;
  }
  await ingestion.apply(config, embedded?.storage);
  evaluator = await startEvaluator(config, rules, source);
  stopReport = startReport(config, source.datasource);
  ready = true;
  const address = server.address();
  log.info({ listen: typeof address === 'object' && address ? `${address.address}:${address.port}` : address, datasource: source.name }, 'vigil serving');

  const onHup = () => void reloadLogged('SIGHUP');
  process.on('SIGHUP', onHup);
  // what another replica changed: silences are read again, a reload is done here too; acks are read from the store when shown
  const unsubscribe = store.subscribe((what, origin) => {
    if (what === 'silences') {
      silences.reload().catch((err: Error) => log.error({ err: err.message, origin }, 'could not read the silences another replica changed; trying at its next change'));
    } else if (what === 'config') void reloadLogged(`replica ${origin} reloaded`, false);
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing the running evaluations and notifications');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.off('SIGHUP', onHup);
  unsubscribe();
  ready = false;
  await reloading;
  stopReport();
  await ingestion.stop();
  await evaluator?.stop();
  // the leases go back now (the others take the groups at their next round); claims end with the sends
  await router.stop();
  await replica.stop();
  await new Promise((resolve) => server.close(resolve));
  await queryPool.close();
  await embedded?.close();
  await store.close();
  log.info({}, 'state persisted; bye');
  return 0;
}

