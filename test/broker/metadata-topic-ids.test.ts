/**
 * Metadata by topic id (v10+), as the Java consumer (4.x) asks for the names of the topics a
 * broker-side regex (KIP-848 SubscriptionPattern) assigned it: ids with empty names. As Kafka, once
 * a topic id is given the request is by id and the names are ignored; an unknown id is
 * UNKNOWN_TOPIC_ID with a null name.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCode } from "../../src/protocol/error-codes.js";
import { Metadata } from "../../src/protocol/messages/metadata.js";
import { startTestBroker, type TestBroker } from "../../src/testing/index.js";
import { RawClient } from "../support/raw-client.js";

describe("Metadata by topic id", () => {
  let tb: TestBroker;
  let c: RawClient;
  before(async () => {
    tb = await startTestBroker();
    c = await RawClient.connect(tb.port);
  });
  after(async () => {
    c.close();
    await tb.close();
  });

  it("ids with empty names are looked up by id (the Java consumer's request)", async () => {
    const t = (await tb.broker.createTopic("by-id", 3, 1, {}))!;
    const unknownId = "0123e4a5-0000-4000-8000-0000000000aa";
    const md = await c.request(Metadata, 12, {
      topics: [
        { topicId: t.id, name: "" },
        { topicId: unknownId, name: "" },
      ],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.deepEqual(
      md.topics.map((x) => [x.errorCode, x.name, x.topicId, x.partitions.length]),
      [
        [ErrorCode.NONE, "by-id", t.id, 3],
        [ErrorCode.UNKNOWN_TOPIC_ID, null, unknownId, 0],
      ],
    );
    // Names alone still work, and name null with an id too.
    const byName = await c.request(Metadata, 12, {
      topics: [{ topicId: "00000000-0000-0000-0000-000000000000", name: "by-id" }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.deepEqual(
      byName.topics.map((x) => [x.errorCode, x.name]),
      [[ErrorCode.NONE, "by-id"]],
    );
  });
});
