/** DeleteTopics (20): by name (v0-5) or by name or id (v6+). Internal topics cannot be deleted. */
import { ErrorCode } from "../../protocol/error-codes.js";
import { DeleteTopics } from "../../protocol/messages/delete-topics.js";
import { INTERNAL_TOPICS } from "../broker.js";
import { defineHandler } from "../router.js";
import { errorOf } from "./common.js";

const NIL = "00000000-0000-0000-0000-000000000000";

export const deleteTopicsHandler = defineHandler(DeleteTopics, async (ctx, req) => {
  const { broker, version } = ctx;
  const wanted =
    version >= 6
      ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
      : req.topicNames.map((name) => ({ name, topicId: NIL }));
  const responses = [];
  for (const w of wanted) {
    let name = w.name;
    if (name === null || name === "") {
      const t = w.topicId !== NIL ? broker.topicById(w.topicId) : undefined;
      if (!t) {
        responses.push({
          name: null,
          topicId: w.topicId,
          errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
          errorMessage: null,
        });
        continue;
      }
      name = t.name;
    }
    const t = broker.topic(name);
    try {
      if (INTERNAL_TOPICS.has(name)) {
        responses.push({
          name,
          topicId: t?.id ?? NIL,
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: `Internal topic ${name} cannot be deleted.`,
        });
        continue;
      }
      await broker.deleteTopic(name);
      responses.push({ name, topicId: t!.id, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (e) {
      responses.push({ name, topicId: t?.id ?? NIL, ...errorOf(e) });
    }
  }
  return { throttleTimeMs: 0, responses };
});
