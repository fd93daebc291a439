import { api, f } from "../schema.js";

export const SaslAuthenticate = api({
  key: 36,
  name: "SaslAuthenticate",
  versions: "0-2",
  flexible: "2+",
  request: [f.bytes("authBytes", "0+")],
  response: [
    f.int16("errorCode", "0+"),
    f.string("errorMessage", "0+", { nullable: "0+" }),
    f.bytes("authBytes", "0+"),
    f.int64("sessionLifetimeMs", "1+"),
  ],
});
