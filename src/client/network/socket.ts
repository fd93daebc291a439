/**
 * The default socket factory: plain TCP or TLS, as KafkaJS's `ISocketFactory` contract describes, so a
 * user-supplied factory (proxies, custom TLS) plugs in the same way.
 */
import net from "node:net";
import tls from "node:tls";
import type { ISocketFactory } from "../types.js";

export type { ISocketFactory, ISocketFactoryArgs } from "../types.js";

/** Keep-alive probes after a minute idle, so half-open connections to a dead broker are noticed. */
const KEEP_ALIVE_DELAY_MS = 60_000;

export const defaultSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  let socket: net.Socket;
  // KafkaJS passes the config's `ssl` through as is: `true`, an options object, or nothing.
  const tlsConfig = ssl as tls.ConnectionOptions | boolean | undefined;
  if (tlsConfig) {
    const options: tls.ConnectionOptions = {
      host,
      port,
      ...(typeof tlsConfig === "object" ? tlsConfig : {}),
    };
    // SNI needs a host name; an IP address is not a valid server name.
    if (!net.isIP(host) && options.servername === undefined) options.servername = host;
    socket = tls.connect(options, onConnect);
  } else {
    socket = net.connect({ host, port }, onConnect);
  }
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  socket.setNoDelay(true);
  return socket;
};
