/**
 * Prometheus remote write 1.0 (`POST /api/v1/write`): a snappy block-compressed protobuf
 * `prometheus.WriteRequest`, appended in one batch. Answers follow Prometheus' receiver: bad
 * input is a 400 so the sender drops it instead of retrying forever.
 */
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import type { Appender, Labels, SampleStorage } from '../storage.js';
import { isStaleNaN } from '../chunkenc.js';
import { IngestError } from './errors.js';

// prompb/types.proto and remote.proto, the fields remote write 1.0 sends; histograms are only counted (refused).
const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message Histogram { int64 timestamp = 15; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
/** The protobuf type, exported for tests and tools that build requests. */
export const WriteRequestType = root.lookupType('prometheus.WriteRequest');
const TimeSeriesType = root.lookupType('prometheus.TimeSeries');
/** A large request is decoded and appended in slices of this many series, giving the event loop a turn between them. */
const SLICE = 1000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type Int64 = number | { toNumber(): number };
export interface WriteRequest {
  timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: Int64 }[]; histograms: unknown[] }[];
}


/** Checks the media type and encoding headers as Prometheus does; empty ones mean remote write 1.0 with snappy. */
export function checkRemoteWriteHeaders(contentType: string | undefined, contentEncoding: string | undefined): void {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== '' && type !== 'application/x-protobuf') {
    throw new IngestError(415, `Content-Type ${JSON.stringify(contentType)} is not accepted: remote write sends application/x-protobuf`, 'media_type');
  }
  const proto = /;\s*proto=([^;\s]+)/i.exec(contentType ?? '')?.[1];
  if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
    throw new IngestError(415, `proto=${proto} is not accepted: vigil speaks remote write 1.0 (prometheus.WriteRequest)`, 'media_type');
  }
  const enc = (contentEncoding ?? '').trim().toLowerCase();
  if (enc !== '' && enc !== 'snappy') {
    throw new IngestError(415, `Content-Encoding ${JSON.stringify(contentEncoding)} is not accepted: only snappy (block format) is`, 'media_type');
  }
}

/**
 * Decodes a remote-write body; a 400 IngestError names what is wrong. A body that says it
 * decompresses past `maxDecodedBytes` is refused before anything is allocated. The series are
 * decoded one by one (WriteRequest's field 1), yielding between slices.
 */
export async function decodeWriteRequest(body: Uint8Array, maxDecodedBytes = 64 * 1024 * 1024): Promise<WriteRequest> {
  let raw: Uint8Array;
  try {
    raw = snappy.uncompress(body, maxDecodedBytes);
  } catch (err) {
    throw new IngestError(400, `snappy: ${(err as Error).message}`, 'decode');
  }
  const timeseries: WriteRequest['timeseries'] = [];
  try {
    const reader = protobuf.Reader.create(raw);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === ((1 << 3) | 2)) {
        timeseries.push(TimeSeriesType.decode(reader, reader.uint32()) as unknown as WriteRequest['timeseries'][number]);
        if (timeseries.length % SLICE === 0) await nextTurn();
      } else reader.skipType(tag & 7);
    }
  } catch (err) {
    throw new IngestError(400, `protobuf: not a prometheus.WriteRequest: ${(err as Error).message}`, 'decode');
  }
  return { timeseries };
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Label names already checked: a fleet repeats a few dozen names in every request. */
const validNames = new Set<string>(['__name__']);

function seriesLabels(ts: WriteRequest['timeseries'][number], index: number): Labels {
  const labels: Record<string, string> = {};
  let prev = '';
  for (const { name, value } of ts.labels) {
    if (name <= prev) {
      const where = `timeseries[${index}]`;
      if (name === '') throw new IngestError(400, `${where}: empty label name`, 'labels');
      if (name === prev) throw new IngestError(400, `${where}: duplicate label name "${name}"`, 'labels');
      throw new IngestError(400, `${where}: labels are not sorted by name ("${name}" after "${prev}")`, 'labels');
    }
    if (!validNames.has(name)) {
      if (!LABEL_NAME.test(name)) throw new IngestError(400, `timeseries[${index}]: invalid label name "${name}"`, 'labels');
      if (validNames.size < 10_000) validNames.add(name);
    }
    prev = name;
    labels[name] = value;
  }
  const metric = labels.__name__;
  if (metric === undefined || !METRIC_NAME.test(metric)) {
    throw new IngestError(400, `timeseries[${index}]: ${metric === undefined ? 'no __name__ label' : `invalid metric name "${metric}"`}`, 'labels');
  }
  return labels;
}

const ms = (t: Int64): number => (typeof t === 'number' ? t : t.toNumber());

export interface WriteReport {
  series: number;
  samples: number;
}

/**
 * Appends a decoded request in one batch: none of it on a 400 found while decoding. Samples of a
 * series must come in increasing time order, as Prometheus' appender requires; samples older than
 * the storage's newest for their series are refused one by one (400 after the rest is stored).
 */
export async function appendWriteRequest(storage: SampleStorage, req: WriteRequest): Promise<WriteReport> {
  const app: Appender = storage.appender();
  let samples = 0;
  try {
    for (let i = 0; i < req.timeseries.length; i++) {
      if (i > 0 && i % SLICE === 0) await nextTurn();
      const ts = req.timeseries[i];
      const labels = seriesLabels(ts, i);
      if (ts.histograms.length > 0) {
        throw new IngestError(400, `timeseries[${i}] (${labels.__name__}): native histograms are not supported by vigil's TSDB; send classic histograms`, 'histogram');
      }
      let last = -Infinity;
      for (const s of ts.samples) {
        const t = ms(s.timestamp);
        if (t <= last) {
          const what = t === last ? 'duplicate sample for timestamp' : 'out of order sample';
          throw new IngestError(400, `timeseries[${i}] (${labels.__name__}): ${what} ${t}`, 'out_of_order');
        }
        last = t;
        if (isStaleNaN(s.value)) app.markStale(labels, t);
        else app.append(labels, t, s.value);
        samples++;
      }
    }
  } catch (err) {
    app.rollback();
    throw err;
  }
  const stored = await app.commit();
  // Older than what the storage holds (a sender's retry after a restart, two senders of one series):
  // the rest is stored, and the sender gets 400, not a retry, as Prometheus answers.
  const refused = stored.outOfOrder + stored.duplicate;
  if (refused > 0) {
    const what = stored.outOfOrder > 0 ? 'out of order sample' : 'duplicate sample for timestamp';
    throw new IngestError(400, `${what}: ${refused} of ${samples} samples are not newer than what the storage holds for their series; the other ${samples - refused} were stored`, 'out_of_order');
  }
  return { series: req.timeseries.length, samples };
}
