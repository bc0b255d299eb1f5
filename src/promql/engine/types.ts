// The engine's values: every operator node evaluates to its result at all steps of a grid at once.
import type { Labels } from './labels.js';

/** Evaluation times start, start+step, …, end (ms); an instant query is a grid of one step. */
export interface Grid {
  start: number;
  step: number;
  n: number;
}

export const gridTime = (g: Grid, i: number): number => g.start + i * g.step;

/** An instant vector series at every step: `present[i]` says whether it has a sample at step i. */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
  /** Prometheus 3's delayed name removal: __name__ is dropped when the query's result is built. */
  dropName: boolean;
  /** Sample timestamps, for timestamp() on a plain selector. */
  sampleTs?: Float64Array;
}

/** One range-vector series: its samples (staleness markers removed), to be cut into windows. */
export interface RangeSeries {
  labels: Labels;
  ts: Float64Array;
  vals: Float64Array;
  dropName: boolean;
}

export type EvalValue =
  | { type: 'vector'; series: StepSeries[] }
  | { type: 'scalar'; values: Float64Array }
  | { type: 'string'; value: string }
  /** Step i's window is (ends[i] - range, ends[i]], or [ends[i] - range, ends[i]] when closed (Prometheus 2.x). */
  | { type: 'matrix'; series: RangeSeries[]; ends: Float64Array; range: number; closed: boolean };

export type VectorValue = Extract<EvalValue, { type: 'vector' }>;
export type MatrixValue = Extract<EvalValue, { type: 'matrix' }>;
export type ScalarValue = Extract<EvalValue, { type: 'scalar' }>;

// Short step arrays (an instant query has one step) are cut from shared slabs: one ArrayBuffer
// per few thousand series instead of two per series keeps the garbage collector out of the way.
const SLAB = 8192;
let f64 = new Float64Array(SLAB);
let f64At = 0;
let u8 = new Uint8Array(SLAB);
let u8At = 0;

function values(n: number): Float64Array {
  if (n > 256) return new Float64Array(n);
  if (f64At + n > SLAB) { f64 = new Float64Array(SLAB); f64At = 0; }
  const a = f64.subarray(f64At, f64At + n);
  f64At += n;
  return a;
}

function flags(n: number): Uint8Array {
  if (n > 256) return new Uint8Array(n);
  if (u8At + n > SLAB) { u8 = new Uint8Array(SLAB); u8At = 0; }
  const a = u8.subarray(u8At, u8At + n);
  u8At += n;
  return a;
}

export function newStepSeries(labels: Labels, n: number, dropName = false): StepSeries {
  return { labels, values: values(n), present: flags(n), dropName };
}
