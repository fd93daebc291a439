/**
 * Plumbing for tests that stand a TCP peer in for a broker (a fake that misbehaves, or a proxy in
 * front of a real one): a server whose `stop()` leaves no socket open, and a splitter of Kafka frames.
 */
import net from "node:net";

/** A TCP server on 127.0.0.1:0 whose `stop()` also ends the connections still open. */
export interface Peer {
  /** "127.0.0.1:port" */
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** Makes `stop()` destroy the socket too and swallows its errors (peers die on purpose); returns it. */
export type Track = (s: net.Socket) => net.Socket;

/** Serves on 127.0.0.1:0; each accepted socket is tracked, and a proxy may `track` its upstream too. */
export function listen(onConnection: (s: net.Socket, track: Track) => void): Promise<Peer> {
  const sockets = new Set<net.Socket>();
  const track: Track = (s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    return s;
  };
  return new Promise((resolve) => {
    const server = net.createServer((s) => onConnection(track(s), track));
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        address: `127.0.0.1:${port}`,
        port,
        stop: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

/** Turns a socket's chunks into whole Kafka frames, size prefix included (a request's API key is at 4). */
export function splitFrames(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const frame = buf.subarray(0, 4 + buf.readInt32BE(0));
      buf = buf.subarray(frame.length);
      onFrame(frame);
    }
  };
}
