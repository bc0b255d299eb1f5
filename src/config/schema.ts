const duration = { type: 'string' };
const sendResolved = { type: 'boolean' };

/** One integration of a receiver; `secret` is the field that may instead come from `<secret>_file`. */
function integration(secret: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      properties: { [secret]: { type: 'string', minLength: 1 }, [`${secret}_file`]: { type: 'string', minLength: 1 }, send_resolved: sendResolved, ...extra },
    },
  };
}
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
/** Alertmanager's http_config, the part a notifier needs: TLS trust and a send timeout. */
const httpConfig = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tls_config: {
      type: 'object',
      additionalProperties: false,
      properties: { ca_file: { type: 'string', minLength: 1 }, insecure_skip_verify: { type: 'boolean' } },
    },
    timeout: duration,
  },
};
const maxAlerts = { type: 'integer', minimum: 0 };
/** Prometheus' basic_auth: the password inline or from a file. */
const basicAuth = {
  type: 'object',
  additionalProperties: false,
  required: ['username'],
  properties: { username: { type: 'string' }, password: { type: 'string' }, password_file: { type: 'string' } },
};
/** Prometheus' relabel_config, the actions vigil supports. */
const relabelConfig = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source_labels: { type: 'array', items: { type: 'string' } },
    separator: { type: 'string' },
    regex: { type: 'string' },
    target_label: { type: 'string', minLength: 1 },
    replacement: { type: 'string' },
    action: { enum: ['replace', 'keep', 'drop', 'labeldrop', 'labelkeep'] },
  },
};
/** Prometheus' scrape_config, the part an embedded scraper needs. */
const scrapeConfig = {
  type: 'object',
  additionalProperties: false,
  required: ['job_name'],
  properties: {
    job_name: { type: 'string', minLength: 1 },
    scrape_interval: duration,
    scrape_timeout: duration,
    metrics_path: { type: 'string', minLength: 1 },
    scheme: { enum: ['http', 'https'] },
    honor_labels: { type: 'boolean' },
    params: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    basic_auth: basicAuth,
    bearer_token: { type: 'string' },
    bearer_token_file: { type: 'string' },
    tls_config: httpConfig.properties.tls_config,
    static_configs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['targets'],
        properties: { targets: { type: 'array', items: { type: 'string', minLength: 1 } }, labels: stringMap },
      },
    },
    relabel_configs: { type: 'array', items: relabelConfig },
    metric_relabel_configs: { type: 'array', items: relabelConfig },
  },
};

/** vigil.yaml. Names follow Prometheus and Alertmanager where they have one. */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    datasource: {
      type: 'object',
      additionalProperties: false,
      // Neither: the embedded datasource with its defaults.
      maxProperties: 1,
      properties: {
        embedded: {
          type: 'object',
          additionalProperties: false,
          properties: {
            path: { type: 'string', minLength: 1 },
            retention: duration,
            scrape_interval: duration,
            scrape_timeout: duration,
            scrape_configs: { type: 'array', items: scrapeConfig },
          },
        },
        prometheus: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', minLength: 1 },
            bearer_token: { type: 'string' },
            bearer_token_file: { type: 'string' },
            basic_auth: basicAuth,
            headers: stringMap,
            timeout: duration,
            retries: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    rule_files: { type: 'array', items: { type: 'string', minLength: 1 } },
    rule_profile: { type: 'string', minLength: 1 },
    storage: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sqlite: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', minLength: 1 } } },
        // several replicas share one PostgreSQL; url (often with ${VAR}) or url_file holds the password
        postgres: {
          type: 'object',
          additionalProperties: false,
          properties: {
            url: { type: 'string', minLength: 1 },
            url_file: { type: 'string', minLength: 1 },
            pool_size: { type: 'integer', minimum: 1, maximum: 1000 },
            flush_interval: duration,
            max_queue: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        listen: { type: 'string' },
        external_url: { type: 'string' },
        // Required of every POST/DELETE (ingestion, silences, reload) when set.
        bearer_token: { type: 'string', minLength: 1 },
        bearer_token_file: { type: 'string', minLength: 1 },
        max_request_bytes: { type: 'integer', minimum: 1024 },
      },
    },
    global: {
      type: 'object',
      additionalProperties: false,
      properties: {
        resolve_timeout: duration,
        flapping: {
          type: 'object',
          additionalProperties: false,
          properties: { min_refires: { type: 'integer', minimum: 1 }, window: duration, enabled: { type: 'boolean' } },
        },
      },
    },
    // The routing tree's own checks (inheritance, matchers, receivers) run in the route module.
    route: { type: 'object' },
    receivers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          // Volume guards: at most `max` notifications per `per`, and one summary for a group above storm_threshold alerts.
          rate_limit: {
            type: 'object',
            additionalProperties: false,
            required: ['max', 'per'],
            properties: { max: { type: 'integer', minimum: 1 }, per: duration },
          },
          storm_threshold: { type: 'integer', minimum: 1 },
          pagerduty_configs: integration('routing_key', { url: { type: 'string', minLength: 1 }, http_config: httpConfig }),
          slack_configs: integration('webhook_url', {
            mention: { enum: ['channel', 'here', 'none'] },
            channel: { type: 'string' },
            max_alerts: maxAlerts,
            http_config: httpConfig,
          }),
          webhook_configs: integration('url', { max_alerts: maxAlerts, http_config: httpConfig }),
          ticket_configs: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                kind: { enum: ['local', 'jira', 'github'] },
                url: { type: 'string', minLength: 1 },
                // jira
                project: { type: 'string', minLength: 1 },
                issue_type: { type: 'string', minLength: 1 },
                email: { type: 'string', minLength: 1 },
                api_token: { type: 'string', minLength: 1 },
                api_token_file: { type: 'string', minLength: 1 },
                resolve_transition: { type: 'string', minLength: 1 },
                priorities: { type: 'object', additionalProperties: { type: 'string' } },
                // github
                repo: { type: 'string', pattern: '^[^/\\s]+/[^/\\s]+$' },
                token: { type: 'string', minLength: 1 },
                token_file: { type: 'string', minLength: 1 },
                labels: { type: 'array', items: { type: 'string', minLength: 1 } },
                reopen_window: duration,
                auto_resolve: { type: 'boolean' },
                http_config: httpConfig,
              },
            },
          },
          grafana_annotation_configs: integration('token', {
            url: { type: 'string', minLength: 1 },
            dashboard_uid: { type: 'string', minLength: 1 },
            panel_id: { type: 'integer', minimum: 0 },
            tags: { type: 'array', items: { type: 'string', minLength: 1 } },
            http_config: httpConfig,
          }),
        },
      },
    },
    inhibit_rules: { type: 'array', items: { type: 'object' } },
    // the intervals' own checks (names, ranges, time zones) run in the route module
    time_intervals: { type: 'array', items: { type: 'object' } },
    mute_time_intervals: { type: 'array', items: { type: 'object' } },
    history: { type: 'object', additionalProperties: false, properties: { retention: duration } },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        alerts: { type: 'integer', minimum: 0 },
        alerts_per_alertname: { type: 'integer', minimum: 0 },
        alerts_per_request: { type: 'integer', minimum: 0 },
        silences: { type: 'integer', minimum: 0 },
      },
    },
    feedback: {
      type: 'object',
      additionalProperties: false,
      properties: {
        signing_key: { type: 'string', minLength: 16 },
        signing_key_file: { type: 'string', minLength: 1 },
        pagerduty_webhook_secret: { type: 'string', minLength: 1 },
        pagerduty_webhook_secret_file: { type: 'string', minLength: 1 },
      },
    },
    report: {
      type: 'object',
      additionalProperties: false,
      properties: {
        schedule: { type: 'string', minLength: 1 },
        time_zone: { type: 'string', minLength: 1 },
        receiver: { type: 'string', minLength: 1 },
        out_dir: { type: 'string', minLength: 1 },
        working_hours: {
          type: 'object',
          additionalProperties: false,
          properties: {
            start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
            end: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' },
            days: { type: 'array', items: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } },
          },
        },
      },
    },
    evaluation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        external_labels: stringMap,
        outage_tolerance: duration,
        datasource_down_after: { type: 'integer', minimum: 1 },
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        replica_id: { type: 'string', minLength: 1, maxLength: 200 },
        lease_duration: duration,
        lease_renew_interval: duration,
        claim_timeout: duration,
        claim_fail_open_after: duration,
      },
    },
  },
} as const;
