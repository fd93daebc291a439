import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeBody, encodeBody, isFlexible } from "../../src/protocol/frame.js";
import { API_LIST } from "../../src/protocol/messages/index.js";
import { expected, makeRng, sample, type Variant } from "../support/samples.js";

function strip(v: any): any {
  if (Array.isArray(v)) return v.map(strip);
  if (Buffer.isBuffer(v) || v === null || typeof v !== "object") return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (k !== "_unknownTags") o[k] = strip(x);
  return o;
}

describe("every API round-trips at every declared version", () => {
  for (const api of API_LIST) {
    it(`${api.name} (key ${api.key}) v${api.minVersion}-v${api.maxVersion}`, () => {
      const rnd = makeRng(api.key * 7919 + 1);
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        for (const which of ["request", "response"] as const) {
          for (const variant of ["full", "sparse"] as Variant[]) {
            const fields = api[which];
            const input = sample(fields, v, variant, rnd);
            const bytes = encodeBody(api, v, which, input);
            const decoded = decodeBody(api, v, which, bytes);
            assert.deepStrictEqual(
              strip(decoded),
              expected(fields, v, input),
              `${api.name} v${v} ${which} ${variant}`,
            );
            // Re-encoding the decoded value gives the same bytes.
            assert.ok(
              encodeBody(api, v, which, decoded).equals(bytes),
              `${api.name} v${v} ${which} re-encode`,
            );
          }
        }
      }
    });
  }

  it("preserves unknown tagged fields through decode and re-encode", () => {
    let checked = 0;
    for (const api of API_LIST) {
      const v = api.maxVersion;
      if (!isFlexible(api, v)) continue;
      const input = {
        ...sample(api.response, v, "full", makeRng(3)),
        _unknownTags: [{ tag: 9999, data: Buffer.from([1, 2, 3]) }],
      };
      const bytes = encodeBody(api, v, "response", input);
      const decoded = decodeBody(api, v, "response", bytes);
      assert.deepStrictEqual(decoded._unknownTags, [{ tag: 9999, data: Buffer.from([1, 2, 3]) }]);
      assert.ok(encodeBody(api, v, "response", decoded).equals(bytes));
      checked++;
    }
    assert.ok(checked > 40, `checked ${checked} flexible APIs`);
  });
});
