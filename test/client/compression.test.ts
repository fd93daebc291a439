/**
 * CompressionCodecs: every built-in codec round-trips, KafkaJS's own GZIP codec reads Brook's gzip
 * (and the other way), a codec registered the KafkaJS way replaces the built-in one, and the enums
 * equal KafkaJS's.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import {
  CompressionCodecs,
  codecFor,
  isBuiltinCodec,
  type KafkaJSCodec,
} from "../../src/client/compression.js";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  CompressionTypes,
  ConfigResourceTypes,
  ConfigSource,
  ResourcePatternTypes,
} from "../../src/client/enums.js";
import { makeRng } from "../support/samples.js";

const require = createRequire(import.meta.url);
const kafkajs = require("kafkajs") as Record<string, any>;

const rnd = makeRng(99);
function sample(n: number): Buffer {
  let text = "";
  while (text.length < n) text += `${JSON.stringify({ id: Math.floor(rnd() * 1e6), name: "order" })}\n`;
  return Buffer.from(text.slice(0, n));
}

const types = [
  CompressionTypes.GZIP,
  CompressionTypes.Snappy,
  CompressionTypes.LZ4,
  CompressionTypes.ZSTD,
] as const;

describe("CompressionCodecs", () => {
  for (const type of types) {
    it(`type ${type}: built in, round-trips 0 B to 1 MiB, and compresses`, async () => {
      assert.equal(isBuiltinCodec(type), true);
      const codec = codecFor(type)!;
      for (const size of [0, 1, 100, 65_536, 70_000, 1 << 20]) {
        const data = sample(size);
        const packed = await codec.compress(data);
        if (size >= 65_536) assert.ok(packed.length < data.length / 2, `${size} -> ${packed.length}`);
        assert.deepEqual(await codec.decompress(packed), data);
      }
    });
  }

  it("None and unknown types have no codec", () => {
    assert.equal(codecFor(CompressionTypes.None), null);
    assert.equal(codecFor(7), null);
    assert.equal(isBuiltinCodec(CompressionTypes.None), false);
  });

  it("KafkaJS's GZIP codec reads Brook's gzip, and Brook reads KafkaJS's", async () => {
    const theirs = kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP]();
    const data = sample(200_000);
    const ours = codecFor(CompressionTypes.GZIP)!;
    assert.deepEqual(await theirs.decompress(await ours.compress(data)), data);
    assert.deepEqual(await ours.decompress(await theirs.compress({ buffer: data })), data);
  });

  it("a codec registered the KafkaJS way replaces the built-in one, and can be put back", async () => {
    const original = CompressionCodecs[CompressionTypes.Snappy];
    const calls: string[] = [];
    // A stand-in plug-in with KafkaJS's codec interface (it stores the data reversed, so its output is
    // recognisable) that returns a Uint8Array, as some plug-ins do.
    const ReversingCodec = (): KafkaJSCodec => ({
      async compress(encoder) {
        calls.push("compress");
        return Buffer.from(encoder.buffer).reverse();
      },
      async decompress(buffer) {
        calls.push("decompress");
        return new Uint8Array(Buffer.from(buffer).reverse()) as Buffer;
      },
    });
    try {
      CompressionCodecs[CompressionTypes.Snappy] = ReversingCodec;
      assert.equal(isBuiltinCodec(CompressionTypes.Snappy), false);
      const codec = codecFor(CompressionTypes.Snappy)!;
      const packed = await codec.compress(Buffer.from("abc"));
      assert.equal(packed.toString(), "cba");
      const unpacked = await codec.decompress(packed);
      assert.ok(Buffer.isBuffer(unpacked));
      assert.equal(unpacked.toString(), "abc");
      assert.deepEqual(calls, ["compress", "decompress"]);
      assert.equal(isBuiltinCodec(CompressionTypes.GZIP), true, "other types untouched");
    } finally {
      CompressionCodecs[CompressionTypes.Snappy] = original;
    }
    assert.equal(isBuiltinCodec(CompressionTypes.Snappy), true);
  });

  it("has the keys of KafkaJS's CompressionCodecs", () => {
    assert.deepEqual(Object.keys(CompressionCodecs), Object.keys(kafkajs.CompressionCodecs));
  });
});

describe("enums", () => {
  const ours: Record<string, object> = {
    CompressionTypes,
    ConfigResourceTypes,
    ConfigSource,
    AclResourceTypes,
    AclOperationTypes,
    AclPermissionTypes,
    ResourcePatternTypes,
  };
  for (const [name, table] of Object.entries(ours)) {
    it(`${name} has KafkaJS's keys and values, and nothing else`, () => {
      assert.deepEqual(Object.entries(table), Object.entries(kafkajs[name]));
    });
  }

  it("members are usable as types", () => {
    const gzip: CompressionTypes.GZIP = CompressionTypes.GZIP;
    const any: CompressionTypes = gzip;
    assert.equal(any, 1);
  });
});
