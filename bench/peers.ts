/**
 * Peers installed by the harness itself, only from the npm registry and Debian packages, cached under
 * `.bench-cache/` (gitignored). Each function returns what the suite needs (a path, a module dir) or
 * throws `PeerUnavailable` with a clear reason, which a suite records as a note instead of failing.
 *
 * - kcat: Debian package (`apt-get install -y kcat` when root and missing).
 * - rdkafka_performance: librdkafka's load generator, built from librdkafka source that ships in an
 *   npm package. `@confluentinc/kafka-javascript` is tried first, but its tarball (1.10.x) ships
 *   `deps/librdkafka` without `examples/`, so the source normally comes from `node-rdkafka`, whose
 *   tarball carries the whole librdkafka tree including `examples/rdkafka_performance.c`.
 * - node 24 (npm package `node@24`), for @platformatic/kafka (needs Node >= 22.22).
 * - @platformatic/kafka and node-rdkafka, installed into .bench-cache (not into Brook's package.json).
 * - KafkaJS 2.2.4 is a devDependency of Brook.
 */
import { spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "..");
export const CACHE_DIR = process.env.BROOK_BENCH_CACHE ?? join(REPO_ROOT, ".bench-cache");

/** Pinned versions, so a cached build and a fresh one measure the same code. */
export const PEER_VERSIONS = {
  confluentKafkaJavascript: "1.10.1",
  nodeRdkafka: "3.6.1",
  node24: "24",
  platformaticKafka: "2",
  kafkajs: "2.2.4",
} as const;

export class PeerUnavailable extends Error {
  constructor(
    readonly peer: string,
    readonly why: string,
  ) {
    super(`peer unavailable: ${peer}: ${why}`);
    this.name = "PeerUnavailable";
  }
}

export type Log = (msg: string) => void;

interface RunOpts {
  cwd?: string;
  log?: Log;
  label: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command, output to a log file, printing a line every 10 s with its last output line. */
function run(cmd: string, args: string[], o: RunOpts): Promise<string> {
  mkdirSync(dirname(o.logFile), { recursive: true });
  const out = createWriteStream(o.logFile, { flags: "a" });
  out.write(`\n$ ${cmd} ${args.join(" ")}   (cwd ${o.cwd ?? process.cwd()})\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lastLine = "";
    let stdout = "";
    const t0 = Date.now();
    const onData = (d: Buffer, isOut: boolean) => {
      out.write(d);
      if (isOut && stdout.length < 1 << 20) stdout += String(d);
      const lines = String(d)
        .split("\n")
        .map((x) => x.trim())
        .filter((x) => x && !/^npm (warn|notice)/i.test(x));
      const l = lines[lines.length - 1];
      if (l) lastLine = l.slice(0, 120);
    };
    child.stdout.on("data", (d: Buffer) => onData(d, true));
    child.stderr.on("data", (d: Buffer) => onData(d, false));
    const tick = setInterval(() => {
      o.log?.(`${o.label}: ${Math.round((Date.now() - t0) / 1000)}s… ${lastLine}`);
    }, 10_000);
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 15 * 60_000);
    child.on("error", (err) => {
      clearInterval(tick);
      clearTimeout(timer);
      out.end();
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearInterval(tick);
      clearTimeout(timer);
      out.end();
      if (code === 0) resolvePromise(stdout);
      else
        reject(
          new Error(
            `${cmd} ${args.slice(0, 3).join(" ")} failed (${signal ?? code}): ${lastLine} — see ${o.logFile}`,
          ),
        );
    });
  });
}

function which(bin: string): string | null {
  for (const d of (process.env.PATH ?? "").split(":")) {
    const p = join(d, bin);
    if (d && existsSync(p)) return p;
  }
  return null;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
const logsDir = () => join(CACHE_DIR, "logs");

async function aptInstall(pkgs: string[], log?: Log): Promise<void> {
  const logFile = join(logsDir(), "apt.log");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  try {
    await run("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], {
      label: "apt-get",
      log,
      logFile,
      env,
    });
  } catch {
    await run("apt-get", ["update"], { label: "apt-get update", log, logFile, env });
    await run("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], {
      label: "apt-get",
      log,
      logFile,
      env,
    });
  }
}

function dpkgInstalled(pkg: string): boolean {
  try {
    const status = readFileSync("/var/lib/dpkg/status", "utf8");
    const i = status.indexOf(`\nPackage: ${pkg}\n`);
    if (i < 0) return false;
    const block = status.slice(i, status.indexOf("\n\n", i + 1));
    return /\nStatus: install ok installed/.test(block);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// kcat

export async function kcat(log?: Log): Promise<string> {
  const found = which("kcat") ?? which("kafkacat");
  if (found) return found;
  if (!isRoot())
    throw new PeerUnavailable("kcat", "not installed and not root (install the Debian package kcat)");
  log?.("installing kcat (apt-get install -y kcat)");
  try {
    await aptInstall(["kcat"], log);
  } catch (err) {
    throw new PeerUnavailable("kcat", `apt-get install kcat failed: ${(err as Error).message}`);
  }
  const p = which("kcat");
  if (!p) throw new PeerUnavailable("kcat", "apt-get reported success but kcat is not on PATH");
  return p;
}

// ---------------------------------------------------------------------------------------------
// rdkafka_performance

export interface RdkafkaPerformance {
  path: string;
  /** librdkafka version it was built from, e.g. "2.12.0". */
  librdkafkaVersion: string;
  /** npm package the source came from, e.g. "node-rdkafka@3.6.1". */
  source: string;
  /** Features compiled in (from the build's Makefile.config), e.g. ["ssl","zstd","lz4"]. */
  features: string[];
  /** Seconds spent building in this call; null when it came from the cache. */
  buildSeconds: number | null;
}

function npmPackAndUnpack(spec: string, destDir: string, log?: Log): Promise<string> {
  mkdirSync(destDir, { recursive: true });
  const logFile = join(logsDir(), "npm-pack.log");
  return (async () => {
    const out = await run("npm", ["pack", spec, "--pack-destination", destDir, "--silent"], {
      label: `npm pack ${spec}`,
      log,
      logFile,
      cwd: destDir,
    });
    const tgz = out.trim().split("\n").pop()!.trim();
    const unpackDir = join(destDir, tgz.replace(/\.tgz$/, ""));
    rmSync(unpackDir, { recursive: true, force: true });
    mkdirSync(unpackDir, { recursive: true });
    await run("tar", ["xzf", join(destDir, tgz), "-C", unpackDir], { label: "tar", log, logFile });
    return join(unpackDir, "package");
  })();
}

function librdkafkaVersionOf(srcDir: string): string {
  const h = readFileSync(join(srcDir, "src", "rdkafka.h"), "utf8");
  const m = h.match(/#define RD_KAFKA_VERSION\s+0x([0-9a-f]{8})/i);
  if (!m) return "unknown";
  const v = Number.parseInt(m[1]!, 16);
  return `${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}`;
}

function builtFeatures(srcDir: string): string[] {
  try {
    const cfg = readFileSync(join(srcDir, "Makefile.config"), "utf8");
    const m = cfg.match(/^BUILT_WITH=\s*(.*)$/m);
    return m
      ? m[1]!
          .trim()
          .split(/\s+/)
          .map((s) => s.toLowerCase())
      : [];
  } catch {
    return [];
  }
}

/**
 * Returns rdkafka_performance, building it on first use (about a minute on 2 cores) and caching the
 * binary under .bench-cache/rdkafka/.
 */
export async function rdkafkaPerformance(log?: Log): Promise<RdkafkaPerformance> {
  const root = join(CACHE_DIR, "rdkafka");
  const infoFile = join(root, "rdkafka_performance.json");
  const bin = join(root, "bin", "rdkafka_performance");
  if (existsSync(bin) && existsSync(infoFile)) {
    return { ...JSON.parse(readFileSync(infoFile, "utf8")), path: bin, buildSeconds: null };
  }
  for (const tool of ["make", "cc", "tar", "npm"]) {
    if (!which(tool)) throw new PeerUnavailable("rdkafka_performance", `build tool '${tool}' is missing`);
  }
  const t0 = Date.now();
  const work = join(root, "build");
  rmSync(work, { recursive: true, force: true });

  // 1. Find librdkafka source with examples/rdkafka_performance.c in an npm tarball.
  const candidates = [
    `@confluentinc/kafka-javascript@${PEER_VERSIONS.confluentKafkaJavascript}`,
    `node-rdkafka@${PEER_VERSIONS.nodeRdkafka}`,
  ];
  let srcDir: string | null = null;
  let source = "";
  const tried: string[] = [];
  for (const spec of candidates) {
    log?.(`rdkafka_performance: fetching librdkafka source from npm package ${spec}`);
    let pkgDir: string;
    try {
      pkgDir = await npmPackAndUnpack(spec, join(work, "pkgs"), log);
    } catch (err) {
      tried.push(`${spec}: npm pack failed (${(err as Error).message})`);
      continue;
    }
    const dir = join(pkgDir, "deps", "librdkafka");
    if (existsSync(join(dir, "examples", "rdkafka_performance.c"))) {
      srcDir = dir;
      source = spec;
      break;
    }
    tried.push(`${spec}: deps/librdkafka has no examples/rdkafka_performance.c`);
    log?.(`rdkafka_performance: ${spec} ships librdkafka without examples/; trying the next package`);
  }
  if (!srcDir)
    throw new PeerUnavailable("rdkafka_performance", `no usable librdkafka source: ${tried.join("; ")}`);

  // 2. Build dependencies from Debian when we can (zstd support needs libzstd-dev; ssl libssl-dev).
  const wanted = ["libssl-dev", "zlib1g-dev", "libzstd-dev"].filter((p) => !dpkgInstalled(p));
  if (wanted.length && isRoot() && which("apt-get")) {
    log?.(`rdkafka_performance: installing Debian build deps ${wanted.join(" ")}`);
    try {
      await aptInstall(wanted, log);
    } catch (err) {
      log?.(`rdkafka_performance: apt-get failed (${(err as Error).message}); building without them`);
    }
  }

  // 3. configure && make libs && make -C examples rdkafka_performance
  const logFile = join(logsDir(), "rdkafka-build.log");
  rmSync(logFile, { force: true });
  const jobs = String(Math.max(1, cpus().length));
  try {
    log?.(`rdkafka_performance: ./configure (librdkafka ${librdkafkaVersionOf(srcDir)} from ${source})`);
    await run("./configure", ["--disable-gssapi", "--disable-curl"], {
      cwd: srcDir,
      label: "configure",
      log,
      logFile,
    });
    log?.(`rdkafka_performance: make libs -j${jobs} (about a minute)`);
    await run("make", [`-j${jobs}`, "libs"], { cwd: srcDir, label: "make libs", log, logFile });
    await run("make", ["-C", "examples", "rdkafka_performance"], {
      cwd: srcDir,
      label: "make rdkafka_performance",
      log,
      logFile,
    });
  } catch (err) {
    throw new PeerUnavailable("rdkafka_performance", `build failed: ${(err as Error).message}`);
  }
  const built = join(srcDir, "examples", "rdkafka_performance");
  if (!existsSync(built)) throw new PeerUnavailable("rdkafka_performance", "build finished without a binary");
  mkdirSync(join(root, "bin"), { recursive: true });
  renameSync(built, bin);
  const info = {
    librdkafkaVersion: librdkafkaVersionOf(srcDir),
    source,
    features: builtFeatures(srcDir),
    builtAt: new Date().toISOString(),
    buildSecondsFirstTime: Math.round((Date.now() - t0) / 100) / 10,
  };
  writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  rmSync(work, { recursive: true, force: true });
  return { ...info, path: bin, buildSeconds: info.buildSecondsFirstTime };
}

// ---------------------------------------------------------------------------------------------
// npm-installed peers

async function npmInstallInto(dir: string, specs: string[], label: string, log?: Log, timeoutMs?: number) {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, "package.json"))) {
    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify({ name: `bench-peer-${label}`, private: true }, null, 2)}\n`,
    );
  }
  await run("npm", ["install", "--no-audit", "--no-fund", "--save", ...specs], {
    cwd: dir,
    label: `npm install ${specs.join(" ")}`,
    log,
    logFile: join(logsDir(), `${label}.log`),
    timeoutMs,
  });
}

async function version(bin: string): Promise<string> {
  return (await run(bin, ["--version"], { label: bin, logFile: join(logsDir(), "versions.log") })).trim();
}

/**
 * A Node binary of another major version from the npm package `node@<major>` (the registry is
 * allowed; no other download), cached under .bench-cache/node<major>.
 */
export async function nodeBinary(major: 22 | 24, log?: Log): Promise<{ path: string; version: string }> {
  const label = `node@${major}`;
  const dir = join(CACHE_DIR, `node${major}`);
  const bin = join(dir, "node_modules", "node", "bin", "node");
  if (!existsSync(bin)) {
    log?.(`installing ${label} from npm into .bench-cache/node${major}`);
    try {
      await npmInstallInto(
        dir,
        [`node@${major === 24 ? PEER_VERSIONS.node24 : String(major)}`],
        `node${major}`,
        log,
      );
    } catch (err) {
      throw new PeerUnavailable(label, (err as Error).message);
    }
  }
  if (!existsSync(bin)) throw new PeerUnavailable(label, `installed, but ${bin} is missing`);
  const v = await version(bin).catch((err: Error) => {
    throw new PeerUnavailable(label, `binary does not run: ${err.message}`);
  });
  if (!v.startsWith(`v${major}.`)) throw new PeerUnavailable(label, `expected v${major}.x, got ${v}`);
  return { path: bin, version: v };
}

/** A Node 24 binary from the npm package `node@24` (@platformatic/kafka needs Node >= 22.22). */
export function node24(log?: Log): Promise<{ path: string; version: string }> {
  return nodeBinary(24, log);
}

function installedVersion(moduleDir: string): string {
  return JSON.parse(readFileSync(join(moduleDir, "package.json"), "utf8")).version;
}

/** @platformatic/kafka installed into .bench-cache, with the Node 24 binary it must run under. */
export async function platformaticKafka(
  log?: Log,
): Promise<{ moduleDir: string; version: string; node: string; nodeVersion: string }> {
  const node = await node24(log);
  const dir = join(CACHE_DIR, "platformatic-kafka");
  const moduleDir = join(dir, "node_modules", "@platformatic", "kafka");
  if (!existsSync(join(moduleDir, "package.json"))) {
    log?.("installing @platformatic/kafka into .bench-cache/platformatic-kafka");
    try {
      await npmInstallInto(
        dir,
        [`@platformatic/kafka@${PEER_VERSIONS.platformaticKafka}`],
        "platformatic-kafka",
        log,
      );
    } catch (err) {
      throw new PeerUnavailable("@platformatic/kafka", (err as Error).message);
    }
  }
  return { moduleDir, version: installedVersion(moduleDir), node: node.path, nodeVersion: node.version };
}

/** node-rdkafka installed into .bench-cache (its install compiles the bundled librdkafka, ~90 s). */
export async function nodeRdkafka(log?: Log): Promise<{ moduleDir: string; version: string }> {
  const dir = join(CACHE_DIR, "node-rdkafka");
  const moduleDir = join(dir, "node_modules", "node-rdkafka");
  const addon = join(moduleDir, "build", "Release", "node-librdkafka.node");
  if (!existsSync(addon)) {
    log?.("installing node-rdkafka into .bench-cache/node-rdkafka (compiles librdkafka, ~90 s)");
    try {
      await npmInstallInto(
        dir,
        [`node-rdkafka@${PEER_VERSIONS.nodeRdkafka}`],
        "node-rdkafka",
        log,
        20 * 60_000,
      );
    } catch (err) {
      throw new PeerUnavailable("node-rdkafka", (err as Error).message);
    }
  }
  if (!existsSync(addon)) throw new PeerUnavailable("node-rdkafka", `installed, but ${addon} was not built`);
  return { moduleDir, version: installedVersion(moduleDir) };
}

/** KafkaJS (a devDependency of Brook): its package dir, checked to be the pinned version. */
export function kafkajs(): { moduleDir: string; version: string; require: NodeJS.Require } {
  const req = createRequire(join(REPO_ROOT, "package.json"));
  let moduleDir: string;
  try {
    moduleDir = dirname(req.resolve("kafkajs/package.json"));
  } catch {
    throw new PeerUnavailable("kafkajs", "not installed (npm ci)");
  }
  const v = installedVersion(moduleDir);
  if (v !== PEER_VERSIONS.kafkajs)
    throw new PeerUnavailable("kafkajs", `expected ${PEER_VERSIONS.kafkajs}, found ${v}`);
  return { moduleDir, version: v, require: createRequire(join(moduleDir, "package.json")) };
}

/** Peers present in the cache right now (for reports), without installing anything. */
export function cachedPeers(): string[] {
  if (!existsSync(CACHE_DIR)) return [];
  return readdirSync(CACHE_DIR).filter((d) => d !== "logs");
}
