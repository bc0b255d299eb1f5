import { compileSchema, validateShape, type SchemaError } from '../yaml/index.js';

const scalar = { type: ['string', 'number', 'boolean'] };
const stringMap = { type: 'object', additionalProperties: scalar };

/** `vars:` of a rule group, and of a profile (profile.ts). */
export const varsSchema = {
  type: 'object',
  additionalProperties: {
    description: 'a string, a number, a boolean or a list of strings',
    anyOf: [{ type: ['string', 'number', 'boolean'] }, { type: 'array', items: { type: ['string', 'number'] }, minItems: 1 }],
  },
};

/** The rule-file schema: Prometheus' rule file plus vigil's extensions (`vars`, `runbook`). */
export const ruleFileSchema = {
  $id: 'https://vigil.dev/schemas/rule-file.json',
  type: 'object',
  required: ['groups'],
  additionalProperties: false,
  properties: {
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'rules'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          interval: { type: 'string' },
          limit: { type: 'integer', minimum: 0 },
          query_offset: { type: 'string' },
          vars: varsSchema,
          rules: {
            type: 'array',
            items: {
              type: 'object',
              required: ['expr'],
              additionalProperties: false,
              properties: {
                alert: { type: 'string', minLength: 1 },
                record: { type: 'string', minLength: 1 },
                expr: { type: ['string', 'number'] },
                for: { type: 'string' },
                keep_firing_for: { type: 'string' },
                labels: stringMap,
                annotations: stringMap,
                runbook: { type: 'string', minLength: 1 },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validate = compileSchema(ruleFileSchema);

export function validateRuleFileShape(data: unknown): SchemaError[] {
  return validateShape(validate, data);
}

