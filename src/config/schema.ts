const duration = { type: 'string' };
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
