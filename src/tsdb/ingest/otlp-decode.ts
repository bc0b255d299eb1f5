/**
 * Decodes an ExportMetricsServiceRequest a data point at a time, yielding to the event loop
 * between slices: protobufjs decodes a whole message in one call, and a 4 MiB body (16 MiB
 * after gzip) held the loop for 150–800 ms. Only the envelopes (request, resource, scope,
 * metric, its data) are walked here; every leaf (Resource, each data point) is still decoded
 * by protobufjs from the .proto types, into the same objects `toObject` gave before.
 */
import protobuf from 'protobufjs';

/** Data points decoded between two turns of the event loop. */
const SLICE = 1000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const LEN = 2;
const VARINT = 0;
const tagOf = (field: number, wire: number) => (field << 3) | wire;

/** Metric's `data` oneof: field number → the property toObject names it, and its data point type. */
export interface OtlpTypesForDecode {
  Resource: protobuf.Type;
  /** By the Metric field number of gauge (5), sum (7), histogram (9), exponential_histogram (10), summary (11). */
  points: Map<number, { key: string; type: protobuf.Type }>;
}

type Obj = Record<string, unknown>;
const OPTIONS = { defaults: true, arrays: true, oneofs: false, longs: Number } as const;

/** Counts points and yields every SLICE. */
class Pacer {
  private n = 0;
  async tick(): Promise<void> {
    if (++this.n % SLICE === 0) await nextTurn();
  }
}

/** The protobuf body, walked field by field; throws protobufjs' own errors on a malformed body. */
export async function decodeProtobufSliced(body: Uint8Array, types: OtlpTypesForDecode): Promise<Obj> {
  const r = protobuf.Reader.create(body);
  const pace = new Pacer();
  const resourceMetrics: Obj[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === tagOf(1, LEN)) resourceMetrics.push(await resourceMetricsOf(r, end(r), types, pace));
    else r.skipType(tag & 7);
  }
  return { resourceMetrics };
}

/** Where the length-delimited field that starts at the reader ends. */
function end(r: protobuf.Reader): number {
  const len = r.uint32();
  const e = r.pos + len;
  if (e > r.len) throw new Error(`index out of range: ${e} + 0 > ${r.len}`);
  return e;
}

async function resourceMetricsOf(r: protobuf.Reader, stop: number, types: OtlpTypesForDecode, pace: Pacer): Promise<Obj> {
  const out: Obj = { resource: null, scopeMetrics: [] as Obj[], schemaUrl: '' };
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === tagOf(1, LEN)) {
      const len = r.uint32();
      out.resource = types.Resource.toObject(types.Resource.decode(r, len), OPTIONS);
    } else if (tag === tagOf(2, LEN)) (out.scopeMetrics as Obj[]).push(await scopeMetricsOf(r, end(r), types, pace));
    else r.skipType(tag & 7);
  }
  return out;
}

async function scopeMetricsOf(r: protobuf.Reader, stop: number, types: OtlpTypesForDecode, pace: Pacer): Promise<Obj> {
  const metrics: Obj[] = [];
  while (r.pos < stop) {
    const tag = r.uint32();
    // The scope (field 1) and schema URL (3) name nothing Prometheus' translation keeps.
    if (tag === tagOf(2, LEN)) metrics.push(await metricOf(r, end(r), types, pace));
    else r.skipType(tag & 7);
  }
  return { metrics };
}

async function metricOf(r: protobuf.Reader, stop: number, types: OtlpTypesForDecode, pace: Pacer): Promise<Obj> {
  const out: Obj = { name: '', description: '', unit: '' };
  while (r.pos < stop) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const kind = types.points.get(field);
    if (tag === tagOf(1, LEN)) out.name = r.string();
    else if (tag === tagOf(2, LEN)) out.description = r.string();
    else if (tag === tagOf(3, LEN)) out.unit = r.string();
    else if (kind && (tag & 7) === LEN) {
      // A oneof: the last one on the wire wins, as protobuf decoding has it.
      for (const other of types.points.values()) delete out[other.key];
      out[kind.key] = await dataOf(r, end(r), kind.key, kind.type, pace);
    } else r.skipType(tag & 7);
  }
  return out;
}

/** The fields each kind of data has besides its points (Gauge and Summary have none). */
function dataShell(key: string, dataPoints: Obj[], temporality = 0, monotonic = false): Obj {
  if (key === 'sum') return { dataPoints, aggregationTemporality: temporality, isMonotonic: monotonic };
  if (key === 'histogram' || key === 'exponentialHistogram') return { dataPoints, aggregationTemporality: temporality };
  return { dataPoints };
}

async function dataOf(r: protobuf.Reader, stop: number, key: string, point: protobuf.Type, pace: Pacer): Promise<Obj> {
  const dataPoints: Obj[] = [];
  let temporality = 0;
  let monotonic = false;
  while (r.pos < stop) {
    const tag = r.uint32();
    if (tag === tagOf(1, LEN)) {
      const len = r.uint32();
      dataPoints.push(point.toObject(point.decode(r, len), OPTIONS));
      await pace.tick();
    } else if (tag === tagOf(2, VARINT)) temporality = r.int32();
    else if (tag === tagOf(3, VARINT)) monotonic = r.bool();
    else r.skipType(tag & 7);
  }
  return dataShell(key, dataPoints, temporality, monotonic);
}

/** OTLP's JSON mapping, already parsed, checked and converted a data point at a time; errors name the path. */
export async function fromJsonSliced(json: Obj, types: OtlpTypesForDecode): Promise<Obj> {
  const pace = new Pacer();
  const list = (v: unknown, where: string): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new Error(`${where}: array expected`);
    return v;
  };
  const object = (v: unknown, where: string): Obj => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: object expected`);
    return v as Obj;
  };
  const str = (v: unknown, where: string): string => {
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new Error(`${where}: string expected`);
    return v;
  };
  const leaf = (type: protobuf.Type, v: unknown, where: string): Obj => {
    try {
      return type.toObject(type.fromObject(object(v, where)), OPTIONS);
    } catch (err) {
      // protobufjs names the field with its full type (".opentelemetry.proto…Type.field"); keep the field.
      throw new Error(`${where}.${(err as Error).message.replace(/^\.?[\w.]*\.([A-Za-z]\w*)\.(?=\w+:)/, '')}`);
    }
  };
  const resourceMetrics: Obj[] = [];
  for (const [i, rmv] of list(json.resourceMetrics, 'resourceMetrics').entries()) {
    const at = `resourceMetrics[${i}]`;
    const rm = object(rmv, at);
    const scopeMetrics: Obj[] = [];
    for (const [j, smv] of list(rm.scopeMetrics, `${at}.scopeMetrics`).entries()) {
      const sat = `${at}.scopeMetrics[${j}]`;
      const metrics: Obj[] = [];
      for (const [k, mv] of list(object(smv, sat).metrics, `${sat}.metrics`).entries()) {
        const mat = `${sat}.metrics[${k}]`;
        const m = object(mv, mat);
        const out: Obj = { name: str(m.name, `${mat}.name`), description: str(m.description, `${mat}.description`), unit: str(m.unit, `${mat}.unit`) };
        for (const { key, type } of types.points.values()) {
          if (m[key] === undefined || m[key] === null) continue;
          const data = object(m[key], `${mat}.${key}`);
          const dataPoints: Obj[] = [];
          for (const [p, pv] of list(data.dataPoints, `${mat}.${key}.dataPoints`).entries()) {
            dataPoints.push(leaf(type, pv, `${mat}.${key}.dataPoints[${p}]`));
            await pace.tick();
          }
          out[key] = dataShell(key, dataPoints, temporality(data.aggregationTemporality, `${mat}.${key}.aggregationTemporality`), data.isMonotonic === true);
        }
        metrics.push(out);
      }
      scopeMetrics.push({ metrics });
    }
    resourceMetrics.push({ resource: rm.resource === undefined || rm.resource === null ? null : leaf(types.Resource, rm.resource, `${at}.resource`), scopeMetrics, schemaUrl: '' });
  }
  return { resourceMetrics };
}

const TEMPORALITY: Record<string, number> = { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 };

/** The enum as a number or by its name, as OTLP's JSON mapping allows. */
function temporality(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && v in TEMPORALITY) return TEMPORALITY[v]!;
  throw new Error(`${where}: an AggregationTemporality expected (a number or AGGREGATION_TEMPORALITY_CUMULATIVE)`);
}
