import { api, f } from "../schema.js";

export const SaslHandshake = api({
  key: 17,
  name: "SaslHandshake",
  versions: "0-1",
  flexible: "none",
  request: [f.string("mechanism", "0+")],
  response: [f.int16("errorCode", "0+"), f.arrayOf("mechanisms", "string", "0+")],
});
