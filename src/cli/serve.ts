import type { Server } from 'node:http';
import type { Command } from 'commander';
import { pino } from 'pino';
import { loadConfigFile, redact } from '../config/index.js';
import { PrometheusDatasource } from '../datasource/index.js';
import { Evaluator } from '../eval/index.js';
import { formatDiagnostic, hasErrors, loadRuleFiles } from '../rules/index.js';
import { createApp, EvaluationMetrics } from '../server/index.js';
import { SqliteStore } from '../store/index.js';
import type { Io } from './output.js';

interface ServeFlags {
  config: string;
  logLevel: string;
}

export function registerServe(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('evaluate the rules on schedule and serve /metrics, /healthz, /readyz and the alerts/rules API')
    .option('-c, --config <file>', 'vigil.yaml', 'vigil.yaml')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (flags: ServeFlags) => setExit(await serve(flags, io)));
}

async function serve(flags: ServeFlags, io: Io): Promise<number> {
  const config = await loadConfigFile(flags.config);
  const log = pino({ level: flags.logLevel, base: { service: 'vigil' } });
  const loaded = await loadRuleFiles(config.ruleFiles);
  if (hasErrors(loaded.diagnostics) || loaded.problems.length) {
    for (const p of loaded.problems) io.err(`error: ${p}\n`);
    for (const d of loaded.diagnostics) io.err(formatDiagnostic(d) + '\n');
    return 1;
  }
  const prom = config.datasource.prometheus;
  const datasource = new PrometheusDatasource({ ...prom, logger: log });
  const store = new SqliteStore(config.storage.sqlite.path);
  let metrics: EvaluationMetrics | undefined;
  const evaluator: Evaluator = new Evaluator(
    loaded.files.flatMap((f) => f.groups),
    {
      datasource,
      store,
      externalLabels: config.evaluation.externalLabels,
      externalURL: config.server.externalURL,
      outageToleranceMs: config.evaluation.outageToleranceMs,
      datasourceDownAfter: config.evaluation.datasourceDownAfter,
      datasourceName: redact(prom.url),
      logger: log,
      onEvaluated: (group, result) => metrics?.observe(group, result),
      onMissed: (group, missed) => metrics?.observeMissed(group, missed),
      onTransition: ({ rule, alert, to }) => {
        const fields = { alertname: rule.name, labels: alert.labels, value: alert.value, activeAt: new Date(alert.activeAt).toISOString() };
        if (to === 'firing') log.warn({ ...fields, annotations: alert.annotations }, 'alert firing');
        else if (to === 'inactive') log.info(fields, 'alert resolved');
        else if (to === 'pending') log.info(fields, 'alert pending');
      },
    },
  );
  metrics = new EvaluationMetrics(evaluator);
  const { restored, discarded } = evaluator.restore();
  log.info({ restored, discarded, groups: evaluator.groups.length, store: config.storage.sqlite.path }, 'alert state restored');

  let ready = false;
  const app = createApp({ evaluator, metrics, isReady: () => ready });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.server.port, config.server.host, () => resolve(s));
    s.once('error', reject);
  });
  evaluator.start();
  ready = true;
  const address = server.address();
  log.info({ listen: typeof address === 'object' && address ? `${address.address}:${address.port}` : address, prometheus: redact(prom.url) }, 'vigil serving');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down: finishing the running evaluations');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  ready = false;
  await evaluator.stop();
  await new Promise((resolve) => server.close(resolve));
  store.close();
  log.info({}, 'state persisted; bye');
  return 0;
}
