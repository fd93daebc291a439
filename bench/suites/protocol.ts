/**
 * Protocol suite: the wire codec's speed, beside KafkaJS 2.2.4's own encoders/decoders of the same
 * messages, measured in the same run.
 *
 * - Produce request (~1 MiB, v7 like KafkaJS, and v11 flexible): encode and decode with record
 *   batches as opaque bytes (the broker's path); encode from messages (record batches + frame)
 *   beside KafkaJS, which always builds batches from messages.
 * - Fetch response (~1 MiB over 8 partitions, v11 like KafkaJS): encode and decode with opaque
 *   records; decode including every record, beside KafkaJS, which always decodes records.
 * - CRC-32C: @node-rs/crc32 (Brook's choice) beside plain-JS implementations and KafkaJS's.
 * - Compression: each codec's compress/decompress of a 1 MiB batch of 1 KiB JSON records, beside
 *   KafkaJS's gzip, and beside the underlying library called directly (the limit) for the others.
 * - Record batch v2 encode/decode (1 MiB, 1 KiB records) beside KafkaJS's RecordBatch.
 */
import { crc32c } from "@node-rs/crc32";
import { crc32cSlicing8, crc32cTable } from "../crc32c-js.js";
import { jsonMessages } from "../data.js";
import type { BenchContext } from "../harness.js";
import { kafkajs } from "../peers.js";
import { barChart } from "../report.js";
import { measureThroughput, sampleNote, type ThroughputResult } from "../timing.js";
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

interface Row {
  group: string;
  label: string;
  impl: string;
  mbPerSec: number;
}

function us(r: ThroughputResult): string {
  const v = r.nsPerOp / 1000;
  return `${v < 10 ? v.toFixed(2) : v.toFixed(0)} µs per frame`;
}

function fmtBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Loads a module that may not exist yet (another engineer is writing it). */
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

export default async function run(ctx: BenchContext): Promise<void> {
  const rows: Row[] = [];
  const kjs = kafkajs();
  const req = kjs.require;
  const kjsProduceV7 = req("./src/protocol/requests/produce/v7/request.js");
  const kjsRequestFrame = req("./src/protocol/request.js");
  const kjsFetchV11 = req("./src/protocol/requests/fetch/v11/response.js");
  const kjsCrc32C = req("./src/protocol/recordBatch/crc32C/index.js") as (b: Buffer) => number;

  const measure = async (
    label: string,
    fn: () => unknown,
    bytes: number,
    opts: { group: string; impl: string },
  ): Promise<ThroughputResult> => {
    const r = await measureThroughput(ctx, `${label} — ${opts.impl}`, fn, { bytesPerOp: bytes });
    rows.push({ group: opts.group, label, impl: opts.impl, mbPerSec: r.mbPerSec });
    return r;
  };

  // ------------------------------------------------------------------------------------------
  // Fixtures: 1 KiB JSON records. KafkaJS encodes the Produce request from messages; Brook decodes
  // those very bytes, so both sides work on identical record batches.
  const partitions = 4;
  const perPartition = 256;
  const messages = jsonMessages(partitions * perPartition, 1000);
  const topicData = [
    {
      topic: "bench-topic",
      partitions: Array.from({ length: partitions }, (_, p) => ({
        partition: p,
        messages: messages.slice(p * perPartition, (p + 1) * perPartition),
      })),
    },
  ];
  const kjsEncodeProduce = async (): Promise<Buffer> =>
    (
      await kjsRequestFrame({
        correlationId: 1,
        clientId: "bench",
        request: kjsProduceV7({ acks: -1, timeout: 30000, topicData }),
      })
    ).buffer;
  const produceFrame = await kjsEncodeProduce();
  const produceSize = produceFrame.length;
  const decoded = decodeRequest(produceFrame.subarray(4), apiByKey);
  const produceBody = decoded.body;
  const batches: Buffer[] = produceBody.topicData[0].partitionData.map((p: { records: Buffer }) => p.records);
  const brookFrame = encodeRequest(Produce, 7, 1, "bench", produceBody);
  const sameBytes = brookFrame.equals(produceFrame);
  ctx.progress(
    `fixtures: Produce v7 request ${fmtBytes(produceSize)} (${partitions} partitions × ${perPartition} records of ~1 KiB); ` +
      `Brook re-encodes KafkaJS's frame ${sameBytes ? "byte-identically" : "DIFFERENTLY (check!)"}`,
  );

  // ---- Produce request, records opaque
  const frameV7 = produceFrame.subarray(4);
  const frameV11 = encodeRequest(Produce, 11, 1, "bench", produceBody).subarray(4);
  let r = await measure(
    "Produce v7 request decode (records opaque)",
    () => decodeRequest(frameV7, apiByKey),
    produceSize,
    {
      group: "Produce request",
      impl: "Brook",
    },
  );
  ctx.record({
    name: `Produce v7 request decode, ${fmtBytes(produceSize)}, records opaque`,
    value: r.mbPerSec,
    unit: "MB/s",
    notes: `${sampleNote(r)}; ${us(r)}; record batches are zero-copy slices, so MB/s is nominal; no peer: KafkaJS has no request decoder`,
  });
  r = await measure(
    "Produce v11 request decode (records opaque)",
    () => decodeRequest(frameV11, apiByKey),
    frameV11.length,
    {
      group: "Produce request",
      impl: "Brook",
    },
  );
  ctx.record({
    name: `Produce v11 (flexible) request decode, ${fmtBytes(frameV11.length)}, records opaque`,
    value: r.mbPerSec,
    unit: "MB/s",
    notes: `${sampleNote(r)}; ${us(r)}; the version librdkafka and the Java client send`,
  });
  r = await measure(
    "Produce v7 request encode (batches pre-encoded)",
    () => encodeRequestChunks(Produce, 7, 1, "bench", produceBody),
    produceSize,
    { group: "Produce request", impl: "Brook" },
  );
  ctx.record({
    name: `Produce v7 request encode, ${fmtBytes(produceSize)}, batches pre-encoded`,
    value: r.mbPerSec,
    unit: "MB/s",
    notes: `${sampleNote(r)}; ${us(r)}; frame as chunks for writev (batches not copied); no like-for-like peer (KafkaJS always encodes from messages)`,
  });

  // ---- The broker's produce path on the protocol side: decode, read each batch header, verify its
  // CRC, assign the base offset in place (records never decoded).
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
  r = await measure(
    "Produce v11 decode + batch header + CRC check + offset assignment",
    () => validate(frameV11),
    frameV11.length,
    {
      group: "Produce request",
      impl: "Brook",
    },
  );
  const crcOnly = await measureThroughput(
    ctx,
    "CRC-32C alone over the same record batches",
    () => crc32c(allBatches),
    {
      bytesPerOp: allBatches.length,
    },
  );
  ctx.record({
    name: `Broker produce path: Produce v11 decode + batch header + CRC-32C check + base offset, ${fmtBytes(frameV11.length)}`,
    value: r.mbPerSec,
    unit: "MB/s",
    peer: { name: "CRC-32C alone over the same batches (limit)", value: crcOnly.mbPerSec },
    notes: `${sampleNote(r)}; ${us(r)}; everything the broker does to a Produce request before appending the bytes`,
  });

  // ---- Fetch response: 8 partitions × 4 batches of 32 records (~1 MiB), v11
  const fetchPartitions = 8;
  const fetchMsgs = jsonMessages(fetchPartitions * 4 * 32, 1000, 7);
  const fetchTopicData = [
    {
      topic: "bench-topic",
      partitions: Array.from({ length: fetchPartitions * 4 }, (_, i) => ({
        partition: i,
        messages: fetchMsgs.slice(i * 32, (i + 1) * 32),
      })),
    },
  ];
  const fetchSource = decodeRequest(
    (
      await kjsRequestFrame({
        correlationId: 2,
        clientId: "bench",
        request: kjsProduceV7({ acks: -1, timeout: 30000, topicData: fetchTopicData }),
      })
    ).buffer.subarray(4),
    apiByKey,
  ).body;
  const fetchBatches: Buffer[] = fetchSource.topicData[0].partitionData.map((p: { records: Buffer }) =>
    Buffer.from(p.records),
  );
  const fetchBody = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: "bench-topic",
        partitions: Array.from({ length: fetchPartitions }, (_, p) => {
          const bs = fetchBatches.slice(p * 4, (p + 1) * 4);
          let offset = 0n;
          for (const b of bs) {
            b.writeBigInt64BE(offset, 0); // base offset (outside the CRC)
            offset += 32n;
          }
          return {
            partitionIndex: p,
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
    (n: number, p: { messages: unknown[] }) => n + p.messages.length,
    0,
  );
  ctx.progress(
    `fixtures: Fetch v11 response ${fmtBytes(fetchSize)}, KafkaJS decodes it to ${kjsRecords} records`,
  );

  r = await measure(
    "Fetch v11 response encode (records opaque)",
    () => encodeResponseChunks(Fetch, 11, 2, fetchBody),
    fetchSize,
    {
      group: "Fetch response",
      impl: "Brook",
    },
  );
  ctx.record({
    name: `Fetch v11 response encode, ${fmtBytes(fetchSize)}, records opaque`,
    value: r.mbPerSec,
    unit: "MB/s",
    notes: `${sampleNote(r)}; ${us(r)}; chunks for writev, as the broker sends it (records not copied); no peer: KafkaJS has no response encoder`,
  });
  r = await measure(
    "Fetch v11 response decode (records opaque)",
    () => decodeResponse(Fetch, 11, fetchNoSize),
    fetchSize,
    {
      group: "Fetch response",
      impl: "Brook",
    },
  );
  ctx.record({
    name: `Fetch v11 response decode, ${fmtBytes(fetchSize)}, records opaque`,
    value: r.mbPerSec,
    unit: "MB/s",
    notes: `${sampleNote(r)}; ${us(r)}; records left as zero-copy slices, so MB/s is nominal; KafkaJS always decodes records (see the row with records)`,
  });
  const kjsFetch = await measure(
    "Fetch v11 response decode incl. records",
    () => kjsFetchV11.decode(fetchPayload),
    fetchSize,
    {
      group: "Fetch response",
      impl: KJS,
    },
  );

  // ---- Record batches (Brook's record-batch codec, being written in parallel)
  const recordBatchMod = await optionalImport<RecordBatchModule>(
    "../../src/protocol/records/record-batch.js",
  );
  await recordBatchSection(ctx, recordBatchMod, {
    measure,
    kjsFetch,
    fetchSize,
    fetchNoSize,
    fetchPartitions,
    produceSize,
    produceBody,
    topicData,
    kjsEncodeProduce,
    batches,
    messages: messages.slice(0, perPartition * partitions),
    req,
  });

  // ------------------------------------------------------------------------------------------
  // CRC-32C
  const crcBig = Buffer.concat(batches).subarray(0, MiB);
  const crcSmall = crcBig.subarray(0, 16 * 1024);
  const crcRows: { label: string; impl: string; gbPerSec: number }[] = [];
  const crcMeasure = async (label: string, impl: string, fn: () => unknown, bytes: number) => {
    const res = await measureThroughput(ctx, `CRC-32C ${label} — ${impl}`, fn, { bytesPerOp: bytes });
    crcRows.push({ label, impl, gbPerSec: res.gbPerSec });
    return res;
  };
  const nativeBig = await crcMeasure("1 MiB", "@node-rs/crc32 (Brook)", () => crc32c(crcBig), crcBig.length);
  const tableBig = await crcMeasure("1 MiB", "plain-JS table", () => crc32cTable(crcBig), crcBig.length);
  const slicingBig = await crcMeasure(
    "1 MiB",
    "plain-JS slicing-by-8",
    () => crc32cSlicing8(crcBig),
    crcBig.length,
  );
  const kjsBig = await crcMeasure("1 MiB", `${KJS} crc32C`, () => kjsCrc32C(crcBig), crcBig.length);
  const nativeSmall = await crcMeasure(
    "16 KiB",
    "@node-rs/crc32 (Brook)",
    () => crc32c(crcSmall),
    crcSmall.length,
  );
  const tableSmall = await crcMeasure(
    "16 KiB",
    "plain-JS table",
    () => crc32cTable(crcSmall),
    crcSmall.length,
  );
  ctx.record({
    name: "CRC-32C of a 1 MiB buffer, @node-rs/crc32 (Brook's choice)",
    value: nativeBig.gbPerSec,
    unit: "GB/s",
    peer: { name: "plain-JS table (bench/crc32c-js.ts)", value: tableBig.gbPerSec },
    notes: sampleNote(nativeBig),
  });
  ctx.record({
    name: "CRC-32C of 16 KiB buffers, @node-rs/crc32 (Brook's choice)",
    value: nativeSmall.gbPerSec,
    unit: "GB/s",
    peer: { name: "plain-JS table (bench/crc32c-js.ts)", value: tableSmall.gbPerSec },
    notes: `${sampleNote(nativeSmall)}; a typical producer batch size, so the native call overhead shows`,
  });
  ctx.record({
    name: "CRC-32C of a 1 MiB buffer, plain-JS slicing-by-8 (bench/crc32c-js.ts)",
    value: slicingBig.gbPerSec,
    unit: "GB/s",
    peer: { name: `${KJS} crc32C (byte table)`, value: kjsBig.gbPerSec },
    notes: `${sampleNote(slicingBig)}; what a pure-JS implementation can reach`,
  });
  ctx.chart?.({
    name: "crc32c",
    title: "CRC-32C throughput (GB/s)",
    spec: barChart({
      title: "CRC-32C throughput (GB/s, higher is better)",
      data: crcRows.map((x) => ({ buffer: x.label, impl: x.impl, gbPerSec: x.gbPerSec })),
      category: "impl",
      value: "gbPerSec",
      valueTitle: "GB/s",
      color: "buffer",
      horizontal: true,
    }),
  });

  // ------------------------------------------------------------------------------------------
  // Compression codecs
  const compressionMod = await optionalImport<CompressionModule>("../../src/protocol/compression/index.js");
  await compressionSection(ctx, compressionMod, batches, req);

  // ------------------------------------------------------------------------------------------
  ctx.chart?.({
    name: "codec-throughput",
    title: "Wire codec throughput (MB/s, log scale)",
    spec: barChart({
      title: "Produce/Fetch/record-batch codec throughput (MB/s, log scale, higher is better)",
      data: rows
        .filter((x) => x.group !== "Compression")
        .map((x) => ({ measure: x.label, impl: x.impl, mbPerSec: x.mbPerSec })),
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

interface RecordBatchDeps {
  measure: (
    label: string,
    fn: () => unknown,
    bytes: number,
    opts: { group: string; impl: string },
  ) => Promise<ThroughputResult>;
  kjsFetch: ThroughputResult;
  fetchSize: number;
  fetchNoSize: Buffer;
  fetchPartitions: number;
  produceSize: number;
  produceBody: any;
  topicData: unknown;
  kjsEncodeProduce: () => Promise<Buffer>;
  batches: Buffer[];
  messages: ReturnType<typeof jsonMessages>;
  req: NodeJS.Require;
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

async function recordBatchSection(
  ctx: BenchContext,
  mod: RecordBatchModule | null,
  d: RecordBatchDeps,
): Promise<void> {
  const kjsProduce = await d.measure(
    "Produce v7 request encode from messages",
    d.kjsEncodeProduce,
    d.produceSize,
    {
      group: "Produce request",
      impl: KJS,
    },
  );
  if (!mod || typeof mod.encodeRecordBatch !== "function" || typeof mod.decodeRecordBatch !== "function") {
    const why = "Brook's record-batch codec (src/protocol/records/record-batch.ts) is not available yet";
    ctx.progress(`record batches: ${why}; recording KafkaJS's figures alone`);
    ctx.record({
      name: `Fetch v11 response decode incl. records, ${fmtBytes(d.fetchSize)} — ${KJS} only`,
      value: d.kjsFetch.mbPerSec,
      unit: "MB/s",
      notes: `${sampleNote(d.kjsFetch)}; Brook's like-for-like figure pending: ${why}`,
    });
    ctx.record({
      name: `Produce v7 request encode from messages, ${fmtBytes(d.produceSize)} — ${KJS} only`,
      value: kjsProduce.mbPerSec,
      unit: "MB/s",
      notes: `${sampleNote(kjsProduce)}; Brook's like-for-like figure pending: ${why}`,
    });
    return;
  }
  const toInput = (ms: typeof d.messages) =>
    ms.map((m) => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp }));

  // Produce request from messages: record batches + frame, as a producer does it.
  const perPartition = d.produceBody.topicData[0].partitionData.length;
  const slice = d.messages.length / perPartition;
  const brookEncodeProduce = async () => {
    const partitionData = [];
    for (let p = 0; p < perPartition; p++) {
      const records = await mod.encodeRecordBatch({
        records: toInput(d.messages.slice(p * slice, (p + 1) * slice)),
        producerId: -1n,
        producerEpoch: 0,
        baseSequence: 0,
        partitionLeaderEpoch: 0,
      });
      partitionData.push({ index: p, records });
    }
    return encodeRequestChunks(Produce, 7, 1, "bench", {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: "bench-topic", partitionData }],
    });
  };
  const bp = await d.measure("Produce v7 request encode from messages", brookEncodeProduce, d.produceSize, {
    group: "Produce request",
    impl: "Brook",
  });
  ctx.record({
    name: `Produce v7 request encode from messages, ${fmtBytes(d.produceSize)} (record batches + frame)`,
    value: bp.mbPerSec,
    unit: "MB/s",
    peer: { name: `${KJS} produce v7 request + framing`, value: kjsProduce.mbPerSec },
    notes: `${sampleNote(bp)}; ${perPartition} partitions × ${slice} records; peer: ${sampleNote(kjsProduce)}`,
  });

  // Fetch response including every record.
  const brookFetch = async () => {
    const { body } = decodeResponse(Fetch, 11, d.fetchNoSize);
    let n = 0;
    for (const t of body.responses) {
      for (const p of t.partitions) {
        if (p.records) for (const b of await mod.decodeRecordBatches(p.records)) n += b.records.length;
      }
    }
    return n;
  };
  const brookCount = await brookFetch();
  const bf = await d.measure("Fetch v11 response decode incl. records", brookFetch, d.fetchSize, {
    group: "Fetch response",
    impl: "Brook",
  });
  ctx.record({
    name: `Fetch v11 response decode incl. records, ${fmtBytes(d.fetchSize)}`,
    value: bf.mbPerSec,
    unit: "MB/s",
    peer: { name: `${KJS} fetch v11 response decode`, value: d.kjsFetch.mbPerSec },
    notes: `${sampleNote(bf)}; ${brookCount} records; Brook also verifies each batch's CRC-32C, KafkaJS does not; peer: ${sampleNote(d.kjsFetch)}`,
  });

  // A single 1 MiB record batch, uncompressed and gzip (the one codec KafkaJS has built in).
  const req = d.req;
  const KRecordBatch = req("./src/protocol/recordBatch/v0/index.js").RecordBatch;
  const KRecord = req("./src/protocol/recordBatch/record/v0/index.js");
  const KDecoder = req("./src/protocol/decoder.js");
  const KBatchDecoder = req("./src/protocol/recordBatch/v0/decoder.js");
  const msgs = d.messages;
  const t0 = msgs[0]!.timestamp;
  const tMax = msgs[msgs.length - 1]!.timestamp;
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
    const bytes = msgs.reduce((n, m) => n + m.key.length + m.value.length, 0);
    const be = await d.measure(`record batch encode, ${codecName}`, brookEncode, bytes, {
      group: "Record batch",
      impl: "Brook",
    });
    const ke = await d.measure(`record batch encode, ${codecName}`, kjsEncode, bytes, {
      group: "Record batch",
      impl: KJS,
    });
    ctx.record({
      name: `Record batch encode, ${msgs.length} × 1 KiB records, ${codecName}`,
      value: be.mbPerSec,
      unit: "MB/s",
      peer: { name: `${KJS} RecordBatch`, value: ke.mbPerSec },
      notes: `${sampleNote(be)}; MB/s of keys + values (${fmtBytes(bytes)}); batch ${fmtBytes(sample.length)} (KafkaJS ${fmtBytes(kjsSample.length)})`,
    });
    const bd = await d.measure(
      `record batch decode, ${codecName}`,
      () => mod.decodeRecordBatch(sample),
      bytes,
      {
        group: "Record batch",
        impl: "Brook",
      },
    );
    const kd = await d.measure(
      `record batch decode, ${codecName}`,
      () => KBatchDecoder(new KDecoder(kjsSample)),
      bytes,
      { group: "Record batch", impl: KJS },
    );
    ctx.record({
      name: `Record batch decode, ${msgs.length} × 1 KiB records, ${codecName}`,
      value: bd.mbPerSec,
      unit: "MB/s",
      peer: { name: `${KJS} RecordBatch decoder`, value: kd.mbPerSec },
      notes: `${sampleNote(bd)}; Brook verifies the CRC-32C, KafkaJS does not; keys/values are zero-copy slices in both`,
    });
  }
}

/** The API of src/protocol/compression/index.ts (announced; checked at run time). */
interface CompressionModule {
  CompressionCodec: Record<string, number | string>;
  compress(codec: number, buf: Buffer): Promise<Buffer>;
  decompress(codec: number, buf: Buffer): Promise<Buffer>;
  compressSync?(codec: number, buf: Buffer): Buffer;
  decompressSync?(codec: number, buf: Buffer): Buffer;
  initCompression?(): Promise<void>;
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
      name: "snappy package, raw block (limit)",
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

async function compressionSection(
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
  const input = Buffer.concat(batches.map((b) => b.subarray(61))).subarray(0, MiB);
  const peers = await codecPeers(req);
  const codecs: [string, number][] = [
    ["gzip", 1],
    ["snappy", 2],
    ["lz4", 3],
    ["zstd", 4],
  ];
  const chartRows: { codec: string; op: string; impl: string; mbPerSec: number }[] = [];
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
    const ratio = input.length / packed.length;
    const peer = peers[name] ?? null;
    const c = await measureThroughput(ctx, `${name} compress — Brook`, () => mod.compress(id, input), {
      bytesPerOp: input.length,
    });
    const pc = peer
      ? await measureThroughput(ctx, `${name} compress — ${peer.name}`, () => peer.compress(input), {
          bytesPerOp: input.length,
        })
      : null;
    const d = await measureThroughput(ctx, `${name} decompress — Brook`, () => mod.decompress(id, packed), {
      bytesPerOp: input.length,
    });
    const peerPacked = peer ? await peer.compressed(input) : null;
    const pd =
      peer && peerPacked
        ? await measureThroughput(
            ctx,
            `${name} decompress — ${peer.name}`,
            () => peer.decompress(peerPacked),
            {
              bytesPerOp: input.length,
            },
          )
        : null;
    const sizeNote = `1 MiB of 1 KiB JSON records → ${fmtBytes(packed.length)} (${ratio.toFixed(2)}:1)`;
    ctx.record({
      name: `${name} compress, 1 MiB of 1 KiB JSON records`,
      value: c.mbPerSec,
      unit: "MB/s",
      ...(pc && peer ? { peer: { name: peer.name, value: pc.mbPerSec } } : {}),
      notes: `${sampleNote(c)}; ${sizeNote}; MB/s of uncompressed input; Brook's async compress()`,
    });
    ctx.record({
      name: `${name} decompress, 1 MiB of 1 KiB JSON records`,
      value: d.mbPerSec,
      unit: "MB/s",
      ...(pd && peer ? { peer: { name: peer.name, value: pd.mbPerSec } } : {}),
      notes: `${sampleNote(d)}; MB/s of uncompressed output; Brook's async decompress()`,
    });
    chartRows.push({ codec: name, op: "compress", impl: "Brook", mbPerSec: c.mbPerSec });
    chartRows.push({ codec: name, op: "decompress", impl: "Brook", mbPerSec: d.mbPerSec });
    if (pc) chartRows.push({ codec: name, op: "compress", impl: "peer / limit", mbPerSec: pc.mbPerSec });
    if (pd) chartRows.push({ codec: name, op: "decompress", impl: "peer / limit", mbPerSec: pd.mbPerSec });
  }
  if (chartRows.length) {
    ctx.chart?.({
      name: "compression",
      title: "Compression codecs (MB/s of uncompressed data)",
      spec: barChart({
        title:
          "Compression codecs, 1 MiB of 1 KiB JSON records (MB/s of uncompressed data, higher is better)",
        data: chartRows.map((x) => ({ ...x, measure: `${x.codec} ${x.op}` })),
        category: "measure",
        value: "mbPerSec",
        valueTitle: "MB/s",
        color: "impl",
        horizontal: true,
      }),
    });
  }
}
