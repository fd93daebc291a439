/**
 * Apache Kafka as a reference: starts a real KRaft cluster (1 combined node, or 1 controller + 3
 * brokers) on 127.0.0.1 from the jars that scripts/apache-kafka/install.sh puts into
 * .kafka-cache/<version>/libs. Shared by tests and bench/, so nothing here imports node:test.
 *
 *   const reason = apacheKafkaUnavailable();           // tests: describe(..., { skip: reason ?? false })
 *   const kafka = await startApacheKafka({ brokers: 3 });
 *   ... kafka.bootstrap ...
 *   await kafka.stop();
 *
 * Each node logs (Log4j 2 to stdout, plus the JVM's own output) into <dir>/logs/node-<id>.log.
 * The JVMs never outlive this process: they are killed on exit, and a small watchdog per JVM kills
 * it when this process dies without running its exit handlers (SIGKILL, a crash); either way the
 * run's folder is removed unless keepData was asked for.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Metadata } from "../../src/protocol/messages/metadata.js";
import { RawClient } from "./raw-client.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const POM = join(ROOT, "scripts/apache-kafka/pom.xml");

/** The Apache Kafka version scripts/apache-kafka/pom.xml installs (its `kafka.version`). */
export const APACHE_KAFKA_VERSION: string = (() => {
  try {
    return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, "utf8"))?.[1] ?? "4.4.0";
  } catch {
    return "4.4.0";
  }
})();

/** Where install.sh puts the jars (BROOK_KAFKA_CACHE overrides the .kafka-cache folder). */
export const APACHE_KAFKA_HOME = join(
  process.env.BROOK_KAFKA_CACHE ?? join(ROOT, ".kafka-cache"),
  APACHE_KAFKA_VERSION,
);
const LIBS = join(APACHE_KAFKA_HOME, "libs");

/** The java binary: $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` from PATH. */
export function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
}

/** The classpath of the installed Kafka jars (broker, tools, clients, streams, Log4j 2), for `java -cp`. */
export function kafkaJavaClasspath(): string {
  return join(LIBS, "*");
}

/** The major version of the java binary, or null when it does not run. */
export function javaMajorVersion(java = javaBinary()): number | null {
  const r = spawnSync(java, ["-version"], { encoding: "utf8", timeout: 20_000 });
  if (r.error || r.status !== 0) return null;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (!m) return null;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major; // "1.8.0" is Java 8
}

let unavailable: string | null | undefined;

/**
 * Null when a Java 17+ runtime and the installed Kafka jars are present; otherwise one line saying
 * what is missing and how to get it (meant for `{ skip: reason }`).
 */
export function apacheKafkaUnavailable(): string | null {
  if (unavailable !== undefined) return unavailable;
  const install = "run scripts/apache-kafka/install.sh";
  const major = javaMajorVersion();
  if (major === null) {
    unavailable = `Apache Kafka ${APACHE_KAFKA_VERSION} needs Java 17+ (${javaBinary()} not found; apt-get install default-jdk-headless maven, then ${install})`;
  } else if (major < 17) {
    unavailable = `Apache Kafka ${APACHE_KAFKA_VERSION} needs Java 17+, ${javaBinary()} is Java ${major} (set JAVA_HOME)`;
  } else if (
    !existsSync(join(APACHE_KAFKA_HOME, "installed")) ||
    !existsSync(join(LIBS, `kafka_2.13-${APACHE_KAFKA_VERSION}.jar`))
  ) {
    unavailable = `the Apache Kafka ${APACHE_KAFKA_VERSION} jars are not installed in ${LIBS}: ${install}`;
  } else {
    unavailable = null;
  }
  return unavailable;
}

export interface StartApacheKafkaOptions {
  /** 1: one combined controller+broker node (id 1). 3: a controller (id 0) and brokers 1, 2, 3. */
  brokers: 1 | 3;
  /** Extra broker configs (server.properties lines), over the defaults below. */
  configs?: Record<string, string>;
  /**
   * Configs for single nodes by node id, over `configs` (e.g. `{ 1: { "broker.rack": "r1" } }` for
   * rack-aware tests). Node ids: 1 for the combined node; 0 for the controller and 1-3 for brokers.
   */
  nodeConfigs?: Record<number, Record<string, string>>;
  /** Heap of each JVM in MiB (-Xmx); default 512. */
  heapMb?: number;
  /**
   * JVM tuned for starting fast rather than running fast: C1 only (-XX:TieredStopAtLevel=1) and the
   * serial collector. Starts 1.5-2x faster on 2 busy cores, but is no reference for throughput:
   * tests may set it, benches must not. Default false (Kafka's own G1 settings, full JIT).
   */
  quickStart?: boolean;
  /** Extra JVM options for every node. */
  jvmArgs?: string[];
  /** How long to wait for every broker to serve Metadata listing all brokers; default 90 s. */
  startTimeoutMs?: number;
  /** Keep the data and logs after stop() (their folder is printed); default false. */
  keepData?: boolean;
  /** Parent folder of the run's temp dir; default the OS temp dir. */
  tmpDir?: string;
  /**
   * A second listener on every broker (fresh port), e.g. SASL_PLAINTEXT for authentication tests;
   * its mechanism settings come through `configs`. Its addresses are in `extraBootstrap`.
   */
  extraListener?: { name: string; protocol: "PLAINTEXT" | "SASL_PLAINTEXT" | "SSL" | "SASL_SSL" };
}

export interface ApacheKafkaNode {
  nodeId: number;
  roles: "broker,controller" | "broker" | "controller";
  /** The PLAINTEXT port (brokers) or the CONTROLLER port (the dedicated controller). */
  port: number;
  logFile: string;
  proc: ChildProcess;
}

export interface ApacheKafkaCluster {
  version: string;
  clusterId: string;
  /** "127.0.0.1:p1,127.0.0.1:p2,..." */
  bootstrap: string;
  /** The extraListener's addresses, like bootstrap; "" without one. */
  extraBootstrap: string;
  brokers: Array<{ nodeId: number; port: number }>;
  controller: { nodeId: number; port: number };
  nodes: ApacheKafkaNode[];
  /** The run's folder: data/node-<id>, logs/node-<id>.log, config/node-<id>.properties. */
  dir: string;
  logDir: string;
  /** Milliseconds from the call to every broker serving (format included). */
  startMs: number;
  /** The last lines of every node's log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM (brokers first, then the controller), SIGKILL after `graceMs`; removes the data unless kept. */
  stop(opts?: { keepData?: boolean; graceMs?: number }): Promise<void>;
}

/** Kafka's own Uuid text form: 16 random bytes, base64url without padding, not starting with '-'. */
export function randomKafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** Ports the OS says are free (bound on 127.0.0.1:0 together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

// JVMs started by this process, killed when it exits, with the run's folder to remove (null: keep).
const live = new Map<ChildProcess, string | null>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const p of live.keys()) {
      try {
        p.kill("SIGKILL");
      } catch {}
    }
    for (const dir of new Set(live.values())) {
      try {
        if (dir) rmSync(dir, { recursive: true, force: true });
      } catch {}
    }
  });
}

/**
 * A shell that waits for end-of-file on its stdin (a pipe from this process), then kills `pid` and
 * removes `dir`: when this process dies however it dies, the pipe closes and the JVM goes with it.
 * Killed itself when the JVM exits first.
 */
function watchdog(pid: number, dir: string | null): ChildProcess {
  const script = 'read _ ; kill -KILL "$1" 2>/dev/null; if [ -n "$2" ]; then sleep 1; rm -rf "$2"; fi';
  const w = spawn("sh", ["-c", script, "watchdog", String(pid), dir ?? ""], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  w.on("error", () => {});
  w.unref();
  (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return w;
}

/** Log4j 2 settings for Kafka's JVMs: INFO to stdout, without the per-request loggers. */
export const KAFKA_LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestChannel.name = kafka.network.RequestChannel$
logger.requestChannel.level = WARN
`;

function properties(p: Record<string, string>): string {
  return `${Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\n`;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function runJava(args: string[], logFile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, "a");
    const p = spawn(javaBinary(), args, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on("exit", (code, signal) => {
      clearTimeout(t);
      if (code === 0) resolve();
      else
        reject(
          new Error(`java ${args.at(-1)} exited with ${code ?? signal}; ${logFile}:\n${tail(logFile, 30)}`),
        );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(p: ChildProcess, graceMs = 20_000): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const t = setTimeout(() => p.kill("SIGKILL"), graceMs);
    p.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    p.kill("SIGTERM");
  });
}

/** The broker ids in one broker's Metadata answer, or null when it does not answer (yet). */
export async function brokerIdsFrom(port: number): Promise<number[] | null> {
  let c: RawClient | undefined;
  try {
    c = await RawClient.connect(port);
    const md = await Promise.race([
      c.request(Metadata, 12, {
        topics: [],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
      sleep(3000).then(() => null),
    ]);
    return md ? md.brokers.map((b) => b.nodeId).sort((a, b) => a - b) : null;
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

/**
 * The broker configs every node's server.properties sets on top of Kafka's defaults, apart from
 * node ids, roles, listeners, the quorum and log.dirs (tests that compare Brook with Kafka give Brook
 * the same ones).
 */
export function kafkaServerProperties(brokers: 1 | 3): Record<string, string> {
  return {
    "num.partitions": "1",
    "offsets.topic.replication.factor": String(brokers),
    "offsets.topic.num.partitions": "10",
    "transaction.state.log.replication.factor": String(brokers),
    "transaction.state.log.min.isr": String(Math.min(2, brokers)),
    "transaction.state.log.num.partitions": "10",
    "share.coordinator.state.topic.replication.factor": String(brokers),
    "share.coordinator.state.topic.min.isr": String(Math.min(2, brokers)),
    "group.initial.rebalance.delay.ms": "0",
    "log.retention.check.interval.ms": "300000",
    "auto.create.topics.enable": "true",
  };
}

/**
 * Starts an Apache Kafka KRaft cluster on 127.0.0.1 with fresh ports, a fresh cluster id and
 * formatted storage in a new temp dir, and resolves once every broker answers Metadata listing all
 * the brokers. Throws (with the tail of the logs, and the cluster stopped) on failure or timeout.
 */
/** What every node of a cluster shares: the quorum, listener names, kafkaServerProperties. */
export function sharedNodeProperties(controllerPort: number, brokers: 1 | 3): Record<string, string> {
  return {
    "controller.quorum.bootstrap.servers": `127.0.0.1:${controllerPort}`,
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "inter.broker.listener.name": "PLAINTEXT",
    ...kafkaServerProperties(brokers),
  };
}

/** A combined controller+broker node (node id 1) on 127.0.0.1. */
export function combinedNodeProperties(port: number, controllerPort: number): Record<string, string> {
  return {
    "process.roles": "broker,controller",
    "node.id": "1",
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
  };
}

export async function startApacheKafka(opts: StartApacheKafkaOptions): Promise<ApacheKafkaCluster> {
  const started = performance.now();
  // The free ports are released before Kafka binds them; if something else took one meanwhile,
  // start again with new ports (once).
  try {
    return await startOnce(opts, started);
  } catch (e) {
    if (!(e as { bindFailed?: boolean }).bindFailed) throw e;
    const dir = (e as { dir?: string }).dir;
    if (dir) rmSync(dir, { recursive: true, force: true });
    return await startOnce(opts, started);
  }
}

async function startOnce(opts: StartApacheKafkaOptions, started: number): Promise<ApacheKafkaCluster> {
  const reason = apacheKafkaUnavailable();
  if (reason) throw new Error(reason);
  installExitHook();
  const n = opts.brokers;
  const heapMb = opts.heapMb ?? 512;
  const dir = mkdtempSync(join(opts.tmpDir ?? tmpdir(), "brook-apache-kafka-"));
  const logDir = join(dir, "logs");
  const configDir = join(dir, "config");
  mkdirSync(logDir, { recursive: true });
  mkdirSync(configDir, { recursive: true });
  const log4j = join(configDir, "log4j2.properties");
  writeFileSync(log4j, KAFKA_LOG4J2);

  const clusterId = randomKafkaUuid();
  const combined = n === 1;
  const extra = opts.extraListener;
  const ports = await freePorts((combined ? 2 : n + 1) + (extra ? n : 0));
  const controllerPort = ports[0]!;
  const brokerPorts = ports.slice(1, combined ? 2 : n + 1);
  const extraPorts = extra ? ports.slice(combined ? 2 : n + 1) : [];
  const controllerId = combined ? 1 : 0;

  const common = sharedNodeProperties(controllerPort, n);
  if (extra) common["listener.security.protocol.map"] += `,${extra.name}:${extra.protocol}`;
  /** Adds the extra listener (if any) to a broker's listeners. */
  const withExtra = (props: Record<string, string>, brokerIndex: number): Record<string, string> => {
    if (!extra) return props;
    const l = `${extra.name}://127.0.0.1:${extraPorts[brokerIndex]}`;
    return {
      ...props,
      listeners: `${props.listeners},${l}`,
      "advertised.listeners": `${props["advertised.listeners"]},${l}`,
    };
  };
  type Spec = {
    nodeId: number;
    roles: ApacheKafkaNode["roles"];
    port: number;
    props: Record<string, string>;
  };
  const specs: Spec[] = [];
  if (combined) {
    const port = brokerPorts[0]!;
    specs.push({
      nodeId: 1,
      roles: "broker,controller",
      port,
      props: withExtra(combinedNodeProperties(port, controllerPort), 0),
    });
  } else {
    specs.push({
      nodeId: controllerId,
      roles: "controller",
      port: controllerPort,
      props: {
        "process.roles": "controller",
        "node.id": String(controllerId),
        listeners: `CONTROLLER://127.0.0.1:${controllerPort}`,
        "advertised.listeners": `CONTROLLER://127.0.0.1:${controllerPort}`,
      },
    });
    for (const [i, port] of brokerPorts.entries()) {
      specs.push({
        nodeId: i + 1,
        roles: "broker",
        port,
        props: withExtra(
          {
            "process.roles": "broker",
            "node.id": String(i + 1),
            listeners: `PLAINTEXT://127.0.0.1:${port}`,
            "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
          },
          i,
        ),
      });
    }
  }

  // kafka-server-start.sh's and kafka-run-class.sh's JVM options, with a smaller heap.
  const jvm = (heap: number) => [
    `-Xmx${heap}m`,
    ...(opts.quickStart
      ? ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
      : [
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          "-XX:InitiatingHeapOccupancyPercent=35",
          "-XX:+ExplicitGCInvokesConcurrent",
        ]),
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${log4j}`,
    `-Dkafka.logs.dir=${logDir}`,
  ];

  const nodes: ApacheKafkaNode[] = [];
  const configFiles = new Map<number, string>();
  for (const s of specs) {
    const file = join(configDir, `node-${s.nodeId}.properties`);
    const props = {
      ...common,
      ...s.props,
      "log.dirs": join(dir, "data", `node-${s.nodeId}`),
      ...opts.configs,
      ...opts.nodeConfigs?.[s.nodeId],
    };
    writeFileSync(file, properties(props));
    configFiles.set(s.nodeId, file);
  }

  let stopped = false;
  const stop = async (o: { keepData?: boolean; graceMs?: number } = {}) => {
    if (stopped) return;
    stopped = true;
    const grace = o.graceMs ?? 20_000;
    const terminate = (ps: ApacheKafkaNode[]) => Promise.all(ps.map((node) => stopProcess(node.proc, grace)));
    // Brokers first: their controlled shutdown needs the controller.
    await terminate(nodes.filter((x) => x.roles === "broker"));
    await terminate(nodes.filter((x) => x.roles !== "broker"));
    if (!(o.keepData ?? opts.keepData)) rmSync(dir, { recursive: true, force: true });
    else console.error(`apache-kafka: data and logs kept in ${dir}`);
  };
  const logTail = (lines = 40) =>
    nodes.map((x) => `--- ${x.logFile} (last ${lines} lines)\n${tail(x.logFile, lines)}`).join("\n");

  try {
    // Format every node's storage (one JVM each, in parallel). The controller starts a dynamic
    // quorum of itself (--standalone); brokers only get meta.properties and the bootstrap metadata.
    const toolJvm = [
      "-Xmx256m",
      "-XX:TieredStopAtLevel=1",
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${log4j}`,
    ];
    await Promise.all(
      specs.map((s) =>
        runJava(
          [
            ...toolJvm,
            "-cp",
            kafkaJavaClasspath(),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            clusterId,
            "-c",
            configFiles.get(s.nodeId)!,
            ...(s.roles.includes("controller") ? ["--standalone"] : []),
          ],
          join(logDir, `format-node-${s.nodeId}.log`),
          60_000,
        ),
      ),
    );

    for (const s of specs) {
      const logFile = join(logDir, `node-${s.nodeId}.log`);
      const fd = openSync(logFile, "a");
      const proc = spawn(
        javaBinary(),
        [
          ...jvm(heapMb),
          ...(opts.jvmArgs ?? []),
          "-cp",
          kafkaJavaClasspath(),
          "kafka.Kafka",
          configFiles.get(s.nodeId)!,
        ],
        { stdio: ["ignore", fd, fd], cwd: dir },
      );
      closeSync(fd);
      proc.on("error", () => {});
      const removeOnExit = opts.keepData ? null : dir;
      live.set(proc, removeOnExit);
      if (proc.pid !== undefined) {
        const w = watchdog(proc.pid, removeOnExit);
        proc.once("exit", () => w.kill("SIGKILL"));
      }
      proc.once("exit", () => live.delete(proc));
      proc.unref();
      nodes.push({ nodeId: s.nodeId, roles: s.roles, port: s.port, logFile, proc });
    }

    const deadline = performance.now() + (opts.startTimeoutMs ?? 90_000);
    const want = specs
      .filter((s) => s.roles.includes("broker"))
      .map((s) => s.nodeId)
      .join(",");
    const brokerNodes = nodes.filter((x) => x.roles.includes("broker"));
    for (;;) {
      const dead = nodes.find((x) => x.proc.exitCode !== null || x.proc.signalCode !== null);
      if (dead)
        throw new Error(
          `Apache Kafka node ${dead.nodeId} exited with ${dead.proc.exitCode ?? dead.proc.signalCode}`,
        );
      const seen = await Promise.all(brokerNodes.map((b) => brokerIdsFrom(b.port)));
      if (seen.every((ids) => ids?.join(",") === want)) break;
      if (performance.now() > deadline) {
        throw new Error(
          `Apache Kafka brokers ${want} not all serving within ${opts.startTimeoutMs ?? 90_000} ms (saw ${JSON.stringify(seen)})`,
        );
      }
      await sleep(250);
    }
  } catch (e) {
    const msg = `${(e as Error).message}\nlogs in ${logDir}:\n${logTail()}`;
    const bindFailed = nodes.some((x) => /Address already in use/.test(tail(x.logFile, 100_000)));
    await stop({ keepData: true, graceMs: 5000 });
    throw Object.assign(new Error(msg), { dir, bindFailed });
  }

  const brokers = nodes
    .filter((x) => x.roles.includes("broker"))
    .map((x) => ({ nodeId: x.nodeId, port: x.port }));
  return {
    version: APACHE_KAFKA_VERSION,
    clusterId,
    bootstrap: brokers.map((b) => `127.0.0.1:${b.port}`).join(","),
    extraBootstrap: extraPorts.map((p) => `127.0.0.1:${p}`).join(","),
    brokers,
    controller: { nodeId: controllerId, port: controllerPort },
    nodes,
    dir,
    logDir,
    startMs: performance.now() - started,
    logTail,
    stop,
  };
}

/** Runs a Java main class with the Kafka jars on the classpath (tools, client programs); resolves with its output. */
export function runKafkaJava(
  mainClass: string,
  args: string[],
  opts: { heapMb?: number; jvmArgs?: string[]; timeoutMs?: number; classpath?: string[] } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const cp = [...(opts.classpath ?? []), kafkaJavaClasspath()].join(delimiter);
    const p = spawn(
      javaBinary(),
      [`-Xmx${opts.heapMb ?? 256}m`, ...(opts.jvmArgs ?? []), "-cp", cp, mainClass, ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    p.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

// Where each node's data folder goes when the node is stopped on its own (stopApacheKafkaNode), so
// its restart registers the new JVM with the same exit-time cleanup as the first one.
const removeOnExitOf = new WeakMap<ApacheKafkaNode, string | null>();

/**
 * Stops one node of a running cluster: SIGKILL at once (a crash: no controlled shutdown, the
 * controller fences it after broker.session.timeout.ms) or SIGTERM (controlled shutdown; SIGKILL
 * after `graceMs`). Resolves when the JVM has exited. The node keeps its data, port and config, so
 * restartApacheKafkaNode brings it back as the same broker.
 */
export async function stopApacheKafkaNode(
  cluster: ApacheKafkaCluster,
  nodeId: number,
  opts: { signal?: "SIGKILL" | "SIGTERM"; graceMs?: number } = {},
): Promise<void> {
  const node = cluster.nodes.find((x) => x.nodeId === nodeId);
  if (!node) throw new Error(`no node ${nodeId} in this cluster`);
  if (!removeOnExitOf.has(node)) removeOnExitOf.set(node, live.get(node.proc) ?? null);
  const p = node.proc;
  if (p.exitCode !== null || p.signalCode !== null) return;
  if ((opts.signal ?? "SIGKILL") === "SIGKILL") {
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGKILL");
    await exited;
  } else {
    await stopProcess(p, opts.graceMs ?? 20_000);
  }
}

/**
 * Starts a node stopped by stopApacheKafkaNode again with the same command line (JVM options,
 * config file, data), and resolves once it serves Metadata listing every broker of the cluster.
 * `cluster.nodes` then holds the new process, so `cluster.stop()` stops it.
 */
export async function restartApacheKafkaNode(
  cluster: ApacheKafkaCluster,
  nodeId: number,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const node = cluster.nodes.find((x) => x.nodeId === nodeId);
  if (!node) throw new Error(`no node ${nodeId} in this cluster`);
  const old = node.proc;
  if (old.exitCode === null && old.signalCode === null) throw new Error(`node ${nodeId} is still running`);
  const fd = openSync(node.logFile, "a");
  const proc = spawn(old.spawnfile, old.spawnargs.slice(1), { stdio: ["ignore", fd, fd], cwd: cluster.dir });
  closeSync(fd);
  proc.on("error", () => {});
  const removeOnExit = removeOnExitOf.get(node) ?? null;
  live.set(proc, removeOnExit);
  if (proc.pid !== undefined) {
    const w = watchdog(proc.pid, removeOnExit);
    proc.once("exit", () => w.kill("SIGKILL"));
  }
  proc.once("exit", () => live.delete(proc));
  proc.unref();
  node.proc = proc;
  if (node.roles === "controller") return;
  const want = cluster.brokers.map((b) => b.nodeId).join(",");
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(
        `Apache Kafka node ${nodeId} exited with ${proc.exitCode ?? proc.signalCode} after a restart:\n${tail(node.logFile, 30)}`,
      );
    if ((await brokerIdsFrom(node.port))?.join(",") === want) return;
    if (performance.now() > deadline)
      throw new Error(`Apache Kafka node ${nodeId} not serving ${timeoutMs} ms after a restart`);
    await sleep(250);
  }
}
