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

/** vigil.yaml. Names follow Prometheus and Alertmanager where they have one. */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['datasource'],
  properties: {
    datasource: {
      type: 'object',
      additionalProperties: false,
      required: ['prometheus'],
      properties: {
        prometheus: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: { type: 'string', minLength: 1 },
            bearer_token: { type: 'string' },
            bearer_token_file: { type: 'string' },
            basic_auth: {
              type: 'object',
              additionalProperties: false,
              required: ['username'],
              properties: { username: { type: 'string' }, password: { type: 'string' }, password_file: { type: 'string' } },
            },
            headers: stringMap,
            timeout: duration,
            retries: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    rule_files: { type: 'array', items: { type: 'string', minLength: 1 } },
    storage: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sqlite: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string', minLength: 1 } } },
      },
    },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        listen: { type: 'string' },
        external_url: { type: 'string' },
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
          pagerduty_configs: integration('routing_key', { url: { type: 'string', minLength: 1 } }),
          slack_configs: integration('webhook_url', { mention: { enum: ['channel', 'here', 'none'] }, channel: { type: 'string' } }),
          webhook_configs: integration('url'),
        },
      },
    },
    inhibit_rules: { type: 'array', items: { type: 'object' } },
    evaluation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        external_labels: stringMap,
        outage_tolerance: duration,
        datasource_down_after: { type: 'integer', minimum: 1 },
      },
    },
  },
} as const;
