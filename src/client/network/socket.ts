/**
 * The default socket factory: plain TCP or TLS, as KafkaJS's `ISocketFactory` contract describes, so a
 * user-supplied factory (proxies, custom TLS) plugs in the same way.
 */
import net from "node:net";
import tls from "node:tls";

export interface SocketFactoryArgs {
  host: string;
  port: number;
  ssl: tls.ConnectionOptions | boolean | undefined;
  onConnect: () => void;
}

export type ISocketFactory = (args: SocketFactoryArgs) => net.Socket;

/** Keep-alive probes after a minute idle, so half-open connections to a dead broker are noticed. */
const KEEP_ALIVE_DELAY_MS = 60_000;

export const defaultSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  let socket: net.Socket;
  if (ssl) {
    const options: tls.ConnectionOptions = { host, port, ...(typeof ssl === "object" ? ssl : {}) };
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
