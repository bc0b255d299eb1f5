/** vigil.yaml after loading: secrets resolved, durations in ms, paths absolute. */
export interface Config {
  file: string;
  datasource: {
    prometheus: {
      url: string;
      bearerToken?: string;
      basicAuth?: { username: string; password: string };
      headers: Record<string, string>;
      timeoutMs: number;
      retries: number;
    };
  };
  /** Rule files or folders, absolute (relative ones are resolved against the config file's folder). */
  ruleFiles: string[];
  storage: { sqlite: { path: string } };
  server: { host: string; port: number; externalURL: string };
  evaluation: {
    externalLabels: Record<string, string>;
    outageToleranceMs: number;
    datasourceDownAfter: number;
  };
}
