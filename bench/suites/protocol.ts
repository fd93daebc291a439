/**
 * Protocol suite: the wire codec's speed, beside KafkaJS 2.2.4's own encoders/decoders of the same
 * messages, measured in the same run with samples interleaved (measureSideBySide).
 *
 * - Produce request (~1 MiB, v7 like KafkaJS, and v11 flexible): decode and encode with record
 *   batches as opaque bytes (the broker's path); the broker's whole protocol-side produce work
 *   (decode + batch header + CRC check + offset assignment) beside CRC-32C alone; encode from
 *   messages (record batches + frame) beside KafkaJS, which always builds batches from messages.
 * - Fetch response (~1 MiB over 8 partitions, v11 like KafkaJS): encode and decode with opaque
 *   records; decode including every record, beside KafkaJS, which always decodes records.
 * - Record batch v2 (1 MiB, 1 KiB records), uncompressed and gzip, beside KafkaJS's RecordBatch.
 * - CRC-32C: @node-rs/crc32 (Brook's choice) beside plain-JS implementations and KafkaJS's.
 * - Compression: each codec's compress/decompress of the records of 1 MiB of 1 KiB JSON records,
 *   beside KafkaJS's gzip, and beside the underlying library called directly (the limit).
 */
import { crc32c } from "@node-rs/crc32";
import { crc32cSlicing8, crc32cTable } from "../crc32c-js.js";
import { type BenchMessage, jsonMessages } from "../data.js";
import type { BenchContext } from "../harness.js";
import { kafkajs } from "../peers.js";
import { barChart } from "../report.js";
import { measureSideBySide, type ThroughputResult } from "../timing.js";
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeRequestChunks,
  encodeResponse,
  encodeResponseChunks,
} from "../../src/protocol/frame.js";
import { apiByKey, Fetch, Produce } from "../../src/protocol/messages/index.js";
import {
  batchSizeAt,
  readBatchHeader,
  setBaseOffset,
  verifyBatchCrc,
} from "../../src/protocol/records/batch-header.js";

const KJS = "KafkaJS 2.2.4";
const MiB = 1024 * 1024;
const TOPIC = "bench-topic";

type Fn = () => unknown;
interface Peer {
  name: string;
  fn: Fn;
}
interface Row {
  group: string;
  label: string;
  impl: string;
  mbPerSec: number;
}

function fmtBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function perFrame(r: ThroughputResult): string {
  const v = r.nsPerOp / 1000;
  return `${v < 10 ? v.toFixed(2) : v.toFixed(0)} µs per frame`;
}

function note(r: ThroughputResult, peer?: ThroughputResult): string {
  const one = (x: ThroughputResult) => `±${x.spreadPct.toFixed(0)}%`;
  return `median of ${r.samples.length} interleaved samples, spread ${one(r)}${peer ? ` (peer ${one(peer)})` : ""}`;
}

/** Loads a module that may not exist yet (other engineers write it in parallel). */
async function optionalImport<T>(relPath: string): Promise<T | null> {
  const spec = new URL(relPath, import.meta.url).href;
  try {
    return (await import(spec)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || /Cannot find module/.test(String(err))) return null;
    throw err;
  }
}

/** The API of src/protocol/records/record-batch.ts used here. */
interface RecordBatchModule {
  encodeRecordBatch(input: {
    records: {
      key?: Buffer | null;
      value?: Buffer | null;
      headers?: Record<string, Buffer>;
      timestamp?: number;
    }[];
    producerId?: bigint;
    producerEpoch?: number;
    baseSequence?: number;
    partitionLeaderEpoch?: number;
    compression?: number;
  }): Promise<Buffer>;
  decodeRecordBatch(buf: Buffer, pos?: number): Promise<{ records: unknown[] }>;
  decodeRecordBatches(buf: Buffer): Promise<{ records: unknown[] }[]>;
}

/** The API of src/protocol/compression/index.ts used here. */
interface CompressionModule {
  compress(codec: number, buf: Buffer): Promise<Buffer>;
  decompress(codec: number, buf: Buffer): Promise<Buffer>;
  initCompression?(): Promise<void>;
}

export default async function run(ctx: BenchContext): Promise<void> {
  const rows: Row[] = [];
  const req = kafkajs().require;
  const kjsProduceV7 = req("./src/protocol/requests/produce/v7/request.js");
  const kjsRequestFrame = req("./src/protocol/request.js");
  const kjsFetchV11 = req("./src/protocol/requests/fetch/v11/response.js");
  const kjsCrc32C = req("./src/protocol/recordBatch/crc32C/index.js") as (b: Buffer) => number;
  const recordBatch = await optionalImport<RecordBatchModule>("../../src/protocol/records/record-batch.js");
  const compression = await optionalImport<CompressionModule>("../../src/protocol/compression/index.js");
  const noBatchCodec =
    "Brook's record-batch codec (src/protocol/records/record-batch.ts) is not available yet";

  /** Brook (and a peer) side by side; returns [brook, peer?]. */
  const compare = async (
    group: string,
    label: string,
    bytes: number,
    brook: Fn | null,
    peer: Peer | null,
  ): Promise<[ThroughputResult | null, ThroughputResult | null]> => {
    const impls = [...(brook ? [{ name: "Brook", fn: brook }] : []), ...(peer ? [peer] : [])];
    const res = await measureSideBySide(ctx, label, impls, { bytesPerOp: bytes });
    for (const [i, r] of res.entries())
      rows.push({ group, label, impl: impls[i]!.name, mbPerSec: r.mbPerSec });
    return brook ? [res[0]!, peer ? res[1]! : null] : [null, res[0]!];
  };

  // ------------------------------------------------------------------------------------------
  // Fixtures: 1 KiB JSON records. KafkaJS encodes the Produce request from messages; Brook decodes
  // those very bytes, so both sides work on identical record batches.
  const partitions = 4;
  const perPartition = 256;
  const messages = jsonMessages(partitions * perPartition, 1000);
  const topicData = (msgs: BenchMessage[], nParts: number) => [
    {
      topic: TOPIC,
      partitions: Array.from({ length: nParts }, (_, p) => ({
        partition: p,
        messages: msgs.slice((p * msgs.length) / nParts, ((p + 1) * msgs.length) / nParts),
      })),
    },
  ];
  const kjsEncodeProduce = async (td: unknown): Promise<Buffer> =>
    (
      await kjsRequestFrame({
        correlationId: 1,
        clientId: "bench",
        request: kjsProduceV7({ acks: -1, timeout: 30000, topicData: td }),
      })
    ).buffer;
  const produceTd = topicData(messages, partitions);
  const produceFrame = await kjsEncodeProduce(produceTd);
  const produceSize = produceFrame.length;
  const produceBody = decodeRequest(produceFrame.subarray(4), apiByKey).body;
  const batches: Buffer[] = produceBody.topicData[0].partitionData.map((p: { records: Buffer }) => p.records);
  const sameBytes = encodeRequest(Produce, 7, 1, "bench", produceBody).equals(produceFrame);
  ctx.progress(
    `fixtures: Produce v7 request ${fmtBytes(produceSize)} (${partitions} partitions × ${perPartition} records of ~1 KiB); ` +
      `Brook re-encodes KafkaJS's frame ${sameBytes ? "byte-identically" : "DIFFERENTLY (check!)"}`,
  );

  // ---- Produce request, records opaque
  const frameV7 = produceFrame.subarray(4);
  const frameV11 = encodeRequest(Produce, 11, 1, "bench", produceBody).subarray(4);
  let [r] = await compare(
    "Produce request",
    "Produce v7 decode (records opaque)",
    produceSize,
    () => decodeRequest(frameV7, apiByKey),
    null,
  );
  ctx.record({
    name: `Produce v7 request decode, ${fmtBytes(produceSize)}, records opaque`,
    value: r!.mbPerSec,
    unit: "MB/s",
    notes: `${note(r!)}; ${perFrame(r!)}; record batches are zero-copy slices, so MB/s is nominal; no peer: KafkaJS has no request decoder`,
  });
  [r] = await compare(
    "Produce request",
    "Produce v11 decode (records opaque)",
    frameV11.length,
    () => decodeRequest(frameV11, apiByKey),
    null,
  );
  ctx.record({
    name: `Produce v11 (flexible) request decode, ${fmtBytes(frameV11.length)}, records opaque`,
    value: r!.mbPerSec,
    unit: "MB/s",
    notes: `${note(r!)}; ${perFrame(r!)}; the version librdkafka and the Java client send`,
  });
  [r] = await compare(
    "Produce request",
    "Produce v7 encode (batches pre-encoded)",
    produceSize,
    () => encodeRequestChunks(Produce, 7, 1, "bench", produceBody),
    null,
  );
  ctx.record({
    name: `Produce v7 request encode, ${fmtBytes(produceSize)}, batches pre-encoded`,
    value: r!.mbPerSec,
    unit: "MB/s",
    notes: `${note(r!)}; ${perFrame(r!)}; frame as chunks for writev (batches not copied); no like-for-like peer (KafkaJS always encodes from messages)`,
  });

  // ---- The broker's protocol-side produce work: decode, read each batch header, verify its CRC,
  // assign the base offset in place (records never decoded).
  const validate = (frame: Buffer) => {
    const { body } = decodeRequest(frame, apiByKey);
    let n = 0;
    for (const t of body.topicData) {
      for (const p of t.partitionData) {
        const recs: Buffer = p.records;
        let pos = 0;
        while (pos < recs.length) {
          const size = batchSizeAt(recs, pos);
          const h = readBatchHeader(recs, pos);
          if (!verifyBatchCrc(recs, pos, size)) throw new Error("bad CRC in fixture");
          setBaseOffset(recs, pos, BigInt(n));
          n += h.recordsCount;
          pos += size;
        }
      }
    }
    return n;
  };
  const allBatches = Buffer.concat(batches);
  let [b, p] = await compare(
    "Produce request",
    "Produce v11 broker path (decode + header + CRC + offsets)",
    frameV11.length,
    () => validate(frameV11),
    {
      name: "CRC-32C alone",
      fn: () => crc32c(allBatches),
    },
  );
  ctx.record({
    name: `Broker produce path: Produce v11 decode + batch headers + CRC-32C check + base offsets, ${fmtBytes(frameV11.length)}`,
    value: b!.mbPerSec,
    unit: "MB/s",
    peer: { name: "CRC-32C alone over the same batches (limit)", value: p!.mbPerSec },
    notes: `${note(b!, p!)}; ${perFrame(b!)}; everything the broker's protocol layer does to a Produce request before appending its bytes`,
  });

  // ---- Produce request from messages: record batches + frame, as a producer builds it.
  const toInput = (ms: BenchMessage[]) =>
    ms.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp }));
  const kjsProducePeer: Peer = { name: KJS, fn: () => kjsEncodeProduce(produceTd) };
  const brookEncodeProduce = recordBatch
    ? async () => {
        const partitionData = [];
        for (let i = 0; i < partitions; i++) {
          const records = await recordBatch.encodeRecordBatch({
            records: toInput(messages.slice(i * perPartition, (i + 1) * perPartition)),
            producerId: -1n,
            producerEpoch: 0,
            baseSequence: 0,
            partitionLeaderEpoch: 0,
          });
          partitionData.push({ index: i, records });
        }
        return encodeRequestChunks(Produce, 7, 1, "bench", {
          transactionalId: null,
          acks: -1,
          timeoutMs: 30000,
          topicData: [{ name: TOPIC, partitionData }],
        });
      }
    : null;
  [b, p] = await compare(
    "Produce request",
    "Produce v7 encode from messages",
    produceSize,
    brookEncodeProduce,
    kjsProducePeer,
  );
  ctx.record({
    name: `Produce v7 request encode from messages, ${fmtBytes(produceSize)} (record batches + frame)${b ? "" : ` — ${KJS} only`}`,
    value: (b ?? p)!.mbPerSec,
    unit: "MB/s",
    ...(b ? { peer: { name: `${KJS} produce v7 request + framing`, value: p!.mbPerSec } } : {}),
    notes: b
      ? `${note(b, p!)}; ${partitions} partitions × ${perPartition} records`
      : `${note(p!)}; Brook's figure pending: ${noBatchCodec}`,
  });

  // ---- Fetch response: 8 partitions × 4 batches of 32 records (~1 MiB), v11
  const fetchPartitions = 8;
  const fetchMsgs = jsonMessages(fetchPartitions * 4 * 32, 1000, 7);
  const fetchSource = decodeRequest(
    (await kjsEncodeProduce(topicData(fetchMsgs, fetchPartitions * 4))).subarray(4),
    apiByKey,
  ).body;
  const fetchBatches: Buffer[] = fetchSource.topicData[0].partitionData.map((x: { records: Buffer }) =>
    Buffer.from(x.records),
  );
  const fetchBody = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: TOPIC,
        partitions: Array.from({ length: fetchPartitions }, (_, i) => {
          const bs = fetchBatches.slice(i * 4, (i + 1) * 4);
          let offset = 0n;
          for (const batch of bs) {
            batch.writeBigInt64BE(offset, 0); // base offset (outside the CRC)
            offset += 32n;
          }
          return {
            partitionIndex: i,
            errorCode: 0,
            highWatermark: 128n,
            lastStableOffset: 128n,
            logStartOffset: 0n,
            abortedTransactions: [],
            preferredReadReplica: -1,
            records: Buffer.concat(bs),
          };
        }),
      },
    ],
  };
  const fetchFrame = encodeResponse(Fetch, 11, 2, fetchBody);
  const fetchSize = fetchFrame.length;
  const fetchNoSize = fetchFrame.subarray(4);
  const fetchPayload = fetchFrame.subarray(8); // what KafkaJS's decode() receives (after correlation id)
  const kjsCheck = await kjsFetchV11.decode(fetchPayload);
  const kjsRecords = kjsCheck.responses[0].partitions.reduce(
    (n: number, x: { messages: unknown[] }) => n + x.messages.length,
    0,
  );
  ctx.progress(
    `fixtures: Fetch v11 response ${fmtBytes(fetchSize)}, KafkaJS decodes it to ${kjsRecords} records`,
  );

  [r] = await compare(
    "Fetch response",
    "Fetch v11 encode (records opaque)",
    fetchSize,
    () => encodeResponseChunks(Fetch, 11, 2, fetchBody),
    null,
  );
  ctx.record({
    name: `Fetch v11 response encode, ${fmtBytes(fetchSize)}, records opaque`,
    value: r!.mbPerSec,
    unit: "MB/s",
    notes: `${note(r!)}; ${perFrame(r!)}; chunks for writev, as the broker sends it (records not copied); no peer: KafkaJS has no response encoder`,
  });
  [r] = await compare(
    "Fetch response",
    "Fetch v11 decode (records opaque)",
    fetchSize,
    () => decodeResponse(Fetch, 11, fetchNoSize),
    null,
  );
  ctx.record({
    name: `Fetch v11 response decode, ${fmtBytes(fetchSize)}, records opaque`,
    value: r!.mbPerSec,
    unit: "MB/s",
    notes: `${note(r!)}; ${perFrame(r!)}; records left as zero-copy slices, so MB/s is nominal; KafkaJS always decodes records (next row)`,
  });
  const brookFetch = recordBatch
    ? async () => {
        const { body } = decodeResponse(Fetch, 11, fetchNoSize);
        let n = 0;
        for (const t of body.responses) {
          for (const x of t.partitions) {
            if (x.records)
              for (const batch of await recordBatch.decodeRecordBatches(x.records)) n += batch.records.length;
          }
        }
        return n;
      }
    : null;
  [b, p] = await compare("Fetch response", "Fetch v11 decode incl. records", fetchSize, brookFetch, {
    name: KJS,
    fn: () => kjsFetchV11.decode(fetchPayload),
  });
  ctx.record({
    name: `Fetch v11 response decode incl. records, ${fmtBytes(fetchSize)}${b ? "" : ` — ${KJS} only`}`,
    value: (b ?? p)!.mbPerSec,
    unit: "MB/s",
    ...(b ? { peer: { name: `${KJS} fetch v11 response decode`, value: p!.mbPerSec } } : {}),
    notes: b
      ? `${note(b, p!)}; ${kjsRecords} records; Brook also verifies each batch's CRC-32C, KafkaJS does not`
      : `${note(p!)}; Brook's figure pending: ${noBatchCodec}`,
  });

  // ---- A single 1 MiB record batch, uncompressed and gzip (the one codec KafkaJS has built in).
  if (recordBatch) {
    await recordBatchRows(ctx, recordBatch, messages, req, toInput, compare);
  } else {
    ctx.record({ name: "Record batch encode/decode", value: Number.NaN, unit: "MB/s", notes: noBatchCodec });
  }

  // ------------------------------------------------------------------------------------------
  // CRC-32C
  const crcBig = allBatches.subarray(0, MiB);
  const crcSmall = crcBig.subarray(0, 16 * 1024);
  const big = await measureSideBySide(
    ctx,
    "CRC-32C, 1 MiB",
    [
      { name: "@node-rs/crc32 (Brook)", fn: () => crc32c(crcBig) },
      { name: "plain-JS table", fn: () => crc32cTable(crcBig) },
      { name: "plain-JS slicing-by-8", fn: () => crc32cSlicing8(crcBig) },
      { name: `${KJS} crc32C`, fn: () => kjsCrc32C(crcBig) },
    ],
    { bytesPerOp: crcBig.length },
  );
  const small = await measureSideBySide(
    ctx,
    "CRC-32C, 16 KiB",
    [
      { name: "@node-rs/crc32 (Brook)", fn: () => crc32c(crcSmall) },
      { name: "plain-JS table", fn: () => crc32cTable(crcSmall) },
    ],
    { bytesPerOp: crcSmall.length },
  );
  ctx.record({
    name: "CRC-32C of a 1 MiB buffer, @node-rs/crc32 (Brook's choice)",
    value: big[0]!.gbPerSec,
    unit: "GB/s",
    peer: { name: "plain-JS table (bench/crc32c-js.ts)", value: big[1]!.gbPerSec },
    notes: note(big[0]!, big[1]!),
  });
  ctx.record({
    name: "CRC-32C of 16 KiB buffers, @node-rs/crc32 (Brook's choice)",
    value: small[0]!.gbPerSec,
    unit: "GB/s",
    peer: { name: "plain-JS table (bench/crc32c-js.ts)", value: small[1]!.gbPerSec },
    notes: `${note(small[0]!, small[1]!)}; a typical producer batch size, so the native call overhead shows`,
  });
  ctx.record({
    name: "CRC-32C of a 1 MiB buffer, plain-JS slicing-by-8 (bench/crc32c-js.ts)",
    value: big[2]!.gbPerSec,
    unit: "GB/s",
    peer: { name: `${KJS} crc32C (byte table)`, value: big[3]!.gbPerSec },
    notes: `${note(big[2]!, big[3]!)}; what a pure-JS implementation can reach`,
  });
  const crcNames = ["@node-rs/crc32 (Brook)", "plain-JS table", "plain-JS slicing-by-8", `${KJS} crc32C`];
  ctx.chart?.({
    name: "crc32c",
    title: "CRC-32C throughput (GB/s)",
    spec: barChart({
      title: "CRC-32C throughput (GB/s, higher is better)",
      data: [
        ...big.map((x, i) => ({ buffer: "1 MiB", impl: crcNames[i], gbPerSec: x.gbPerSec })),
        ...small.map((x, i) => ({ buffer: "16 KiB", impl: crcNames[i], gbPerSec: x.gbPerSec })),
      ],
      category: "impl",
      value: "gbPerSec",
      valueTitle: "GB/s",
      color: "buffer",
      horizontal: true,
    }),
  });

  // ------------------------------------------------------------------------------------------
  // Compression codecs
  await compressionRows(ctx, compression, batches, req);

  ctx.chart?.({
    name: "codec-throughput",
    title: "Wire codec throughput (MB/s, log scale)",
    spec: barChart({
      title: "Produce / Fetch / record batch codec throughput (MB/s, log scale, higher is better)",
      data: rows.map((x) => ({ measure: x.label, impl: x.impl, mbPerSec: x.mbPerSec })),
      category: "measure",
      value: "mbPerSec",
      valueTitle: "MB/s",
      color: "impl",
      horizontal: true,
      logScale: true,
    }),
  });
}

// ----------------------------------------------------------------------------------------------

type Compare = (
  group: string,
  label: string,
  bytes: number,
  brook: Fn | null,
  peer: Peer | null,
) => Promise<[ThroughputResult | null, ThroughputResult | null]>;

async function recordBatchRows(
  ctx: BenchContext,
  mod: RecordBatchModule,
  msgs: BenchMessage[],
  req: NodeJS.Require,
  toInput: (ms: BenchMessage[]) => Parameters<RecordBatchModule["encodeRecordBatch"]>[0]["records"],
  compare: Compare,
): Promise<void> {
  const KRecordBatch = req("./src/protocol/recordBatch/v0/index.js").RecordBatch;
  const KRecord = req("./src/protocol/recordBatch/record/v0/index.js");
  const KDecoder = req("./src/protocol/decoder.js");
  const KBatchDecoder = req("./src/protocol/recordBatch/v0/decoder.js");
  const t0 = msgs[0]!.timestamp;
  const tMax = msgs[msgs.length - 1]!.timestamp;
  const bytes = msgs.reduce((n, m) => n + m.key.length + m.value.length, 0);
  for (const [codecName, codec] of [
    ["uncompressed", 0],
    ["gzip", 1],
  ] as const) {
    const kjsEncode = async () =>
      (
        await KRecordBatch({
          compression: codec,
          records: msgs.map((m, i) =>
            KRecord({
              key: m.key,
              value: m.value,
              headers: m.headers,
              offsetDelta: i,
              timestampDelta: m.timestamp - t0,
            }),
          ),
          firstTimestamp: t0,
          maxTimestamp: tMax,
          lastOffsetDelta: msgs.length - 1,
        })
      ).buffer as Buffer;
    const brookEncode = () =>
      mod.encodeRecordBatch({
        records: toInput(msgs),
        producerEpoch: 0,
        baseSequence: 0,
        compression: codec,
      });
    const sample = await brookEncode();
    const kjsSample = await kjsEncode();
    const [be, ke] = await compare("Record batch", `record batch encode, ${codecName}`, bytes, brookEncode, {
      name: KJS,
      fn: kjsEncode,
    });
    ctx.record({
      name: `Record batch encode, ${msgs.length} × 1 KiB records, ${codecName}`,
      value: be!.mbPerSec,
      unit: "MB/s",
      peer: { name: `${KJS} RecordBatch`, value: ke!.mbPerSec },
      notes: `${note(be!, ke!)}; MB/s of keys + values (${fmtBytes(bytes)}); batch ${fmtBytes(sample.length)} (KafkaJS ${fmtBytes(kjsSample.length)})`,
    });
    const [bd, kd] = await compare(
      "Record batch",
      `record batch decode, ${codecName}`,
      bytes,
      () => mod.decodeRecordBatch(sample),
      { name: KJS, fn: () => KBatchDecoder(new KDecoder(kjsSample)) },
    );
    ctx.record({
      name: `Record batch decode, ${msgs.length} × 1 KiB records, ${codecName}`,
      value: bd!.mbPerSec,
      unit: "MB/s",
      peer: { name: `${KJS} RecordBatch decoder`, value: kd!.mbPerSec },
      notes: `${note(bd!, kd!)}; Brook verifies the CRC-32C, KafkaJS does not; keys/values are zero-copy slices in both`,
    });
  }
}

interface CodecPeer {
  name: string;
  compress: (b: Buffer) => unknown;
  decompress: (b: Buffer) => unknown;
  /** Input the peer's decompress expects (its own compressed form). */
  compressed: (b: Buffer) => Promise<Buffer>;
}

/** The peer for each codec: KafkaJS's gzip; for the rest, the library Brook wraps, called directly. */
async function codecPeers(req: NodeJS.Require): Promise<Record<string, CodecPeer | null>> {
  const peers: Record<string, CodecPeer | null> = { gzip: null, snappy: null, lz4: null, zstd: null };
  const kjsGzip = req("./src/protocol/message/compression/gzip.js");
  peers.gzip = {
    name: `${KJS} gzip codec (zlib.gzip/unzip)`,
    compress: (b) => kjsGzip.compress({ buffer: b }),
    decompress: (b) => kjsGzip.decompress(b),
    compressed: (b) => kjsGzip.compress({ buffer: b }),
  };
  try {
    const snappy = await import("snappy");
    peers.snappy = {
      name: "snappy package, one raw block (limit)",
      compress: (b) => snappy.compressSync(b),
      decompress: (b) => snappy.uncompressSync(b),
      compressed: async (b) => snappy.compressSync(b),
    };
  } catch {
    // no peer
  }
  try {
    const lz4 = await import("lz4-napi");
    peers.lz4 = {
      name: "lz4-napi frame (limit)",
      compress: (b) => lz4.compressFrameSync(b),
      decompress: (b) => lz4.decompressFrameSync(b),
      compressed: async (b) => lz4.compressFrameSync(b),
    };
  } catch {
    // no peer
  }
  try {
    const zstd: any = await import("@bokuweb/zstd-wasm");
    const z = zstd.default?.init ? zstd.default : zstd;
    await z.init();
    peers.zstd = {
      name: "@bokuweb/zstd-wasm level 3 (limit)",
      compress: (b) => z.compress(b, 3),
      decompress: (b) => z.decompress(b),
      compressed: async (b) => Buffer.from(z.compress(b, 3)),
    };
  } catch {
    // no peer
  }
  return peers;
}

async function compressionRows(
  ctx: BenchContext,
  mod: CompressionModule | null,
  batches: Buffer[],
  req: NodeJS.Require,
): Promise<void> {
  if (!mod || typeof mod.compress !== "function" || typeof mod.decompress !== "function") {
    const why =
      "codecs not available yet: Brook's compression module (src/protocol/compression/index.ts) is missing";
    ctx.progress(why);
    ctx.record({ name: "Compression codecs", value: Number.NaN, unit: "MB/s", notes: why });
    return;
  }
  await mod.initCompression?.();
  // The records section of 1 MiB of record batches (1 KiB JSON records): what a producer compresses.
  const input = Buffer.concat(batches.map((x) => x.subarray(61))).subarray(0, MiB);
  const peers = await codecPeers(req);
  const codecs: [string, number][] = [
    ["gzip", 1],
    ["snappy", 2],
    ["lz4", 3],
    ["zstd", 4],
  ];
  const chartRows: { measure: string; impl: string; mbPerSec: number }[] = [];
  for (const [name, id] of codecs) {
    let packed: Buffer;
    try {
      packed = await mod.compress(id, input);
      const back = await mod.decompress(id, packed);
      if (!back.equals(input)) throw new Error("round trip changed the bytes");
    } catch (err) {
      ctx.record({
        name: `${name} compress`,
        value: Number.NaN,
        unit: "MB/s",
        notes: `Brook's ${name} codec failed: ${(err as Error).message}`,
      });
      continue;
    }
    const peer = peers[name] ?? null;
    const [c, pc] = await measureSideBySide(
      ctx,
      `${name} compress`,
      [
        { name: "Brook", fn: () => mod.compress(id, input) },
        ...(peer ? [{ name: peer.name, fn: () => peer.compress(input) }] : []),
      ],
      { bytesPerOp: input.length },
    );
    const peerPacked = peer ? await peer.compressed(input) : null;
    const [dd, pd] = await measureSideBySide(
      ctx,
      `${name} decompress`,
      [
        { name: "Brook", fn: () => mod.decompress(id, packed) },
        ...(peer && peerPacked ? [{ name: peer.name, fn: () => peer.decompress(peerPacked) }] : []),
      ],
      { bytesPerOp: input.length },
    );
    const sizeNote = `1 MiB → ${fmtBytes(packed.length)} (${(input.length / packed.length).toFixed(2)}:1)`;
    ctx.record({
      name: `${name} compress, 1 MiB of 1 KiB JSON records`,
      value: c!.mbPerSec,
      unit: "MB/s",
      ...(pc && peer ? { peer: { name: peer.name, value: pc.mbPerSec } } : {}),
      notes: `${note(c!, pc)}; ${sizeNote}; MB/s of uncompressed input; Brook's async compress()`,
    });
    ctx.record({
      name: `${name} decompress, 1 MiB of 1 KiB JSON records`,
      value: dd!.mbPerSec,
      unit: "MB/s",
      ...(pd && peer ? { peer: { name: peer.name, value: pd.mbPerSec } } : {}),
      notes: `${note(dd!, pd)}; MB/s of uncompressed output; Brook's async decompress()`,
    });
    chartRows.push({ measure: `${name} compress`, impl: "Brook", mbPerSec: c!.mbPerSec });
    if (pc) chartRows.push({ measure: `${name} compress`, impl: "peer / limit", mbPerSec: pc.mbPerSec });
    chartRows.push({ measure: `${name} decompress`, impl: "Brook", mbPerSec: dd!.mbPerSec });
    if (pd) chartRows.push({ measure: `${name} decompress`, impl: "peer / limit", mbPerSec: pd.mbPerSec });
  }
  if (chartRows.length) {
    ctx.chart?.({
      name: "compression",
      title: "Compression codecs (MB/s of uncompressed data)",
      spec: barChart({
        title: "Compression, 1 MiB of 1 KiB JSON records (MB/s of uncompressed data, higher is better)",
        data: chartRows,
        category: "measure",
        value: "mbPerSec",
        valueTitle: "MB/s",
        color: "impl",
        horizontal: true,
      }),
    });
  }
}
