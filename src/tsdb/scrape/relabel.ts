/**
 * Prometheus' relabeling (keep, drop, replace, labeldrop, labelkeep) on anchored RE2 regexes.
 * The regex is anchored, so a match spans the whole joined value and `replaceAll` is exactly
 * Go's ExpandString of the one match.
 */
import type { RelabelConfig } from '../../config/index.js';
import { compileRE2, type RE2 } from '../../regex/index.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Step {
  cfg: RelabelConfig;
  re: RE2;
}

/** Applies the steps to a label set; undefined when a keep or drop step drops it. */
export type Relabel = (labels: Record<string, string>) => Record<string, string> | undefined;

export function compileRelabel(configs: readonly RelabelConfig[]): Relabel {
  if (configs.length === 0) return (labels) => labels;
  const steps: Step[] = configs.map((cfg) => ({ cfg, re: compileRE2(cfg.regex, { anchored: true }) }));
  return (input) => {
    const labels = { ...input };
    for (const { cfg, re } of steps) {
      const value = () => cfg.sourceLabels.map((n) => labels[n] ?? '').join(cfg.separator);
      switch (cfg.action) {
        case 'keep':
          if (!re.test(value())) return undefined;
          break;
        case 'drop':
          if (re.test(value())) return undefined;
          break;
        case 'replace': {
          const v = value();
          if (!re.test(v)) break;
          const target = re.replaceAll(v, cfg.targetLabel ?? '');
          const result = re.replaceAll(v, cfg.replacement);
          if (!LABEL_NAME.test(target) || result === '') delete labels[cfg.targetLabel ?? ''];
          else labels[target] = result;
          break;
        }
        case 'labeldrop':
          for (const name of Object.keys(labels)) if (re.test(name)) delete labels[name];
          break;
        case 'labelkeep':
          for (const name of Object.keys(labels)) if (!re.test(name)) delete labels[name];
          break;
      }
    }
    return labels;
  };
}
