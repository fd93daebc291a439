/**
 * DeleteGroups (42), v0-v2: removes empty groups and their offsets (tombstones in
 * __consumer_offsets). A group with members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
 */
import { groups } from "../../coordinator/handler-support.js";
import { DeleteGroups } from "../../protocol/messages/delete-groups.js";
import { defineHandler } from "../router.js";

export const deleteGroupsHandler = defineHandler(DeleteGroups, async (ctx, req) => ({
  throttleTimeMs: 0,
  results: await groups(ctx).deleteGroups(req.groupsNames),
}));
