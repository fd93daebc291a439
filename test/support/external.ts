/**
 * External programs some tests drive (kcat, kafka-python): found or not, and if not, a one-line
 * reason naming the Debian package to install, for `{ skip: missing("kcat") ?? false }`.
 * .ci/run installs these packages; on a machine without them the tests skip instead of failing.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** The Debian package that provides each program or Python module the tests use. */
export const DEBIAN_PACKAGES: Record<string, string> = {
  kcat: "kcat",
  python3: "python3",
  "python3:kafka": "python3-kafka",
  lz4: "lz4",
  zstd: "zstd",
  java: "default-jdk-headless",
  mvn: "maven",
  openssl: "openssl",
};

/** The full path of `program` on PATH (or itself, if given as an executable path), else null. */
export function which(program: string): string | null {
  const candidates = isAbsolute(program)
    ? [program]
    : (process.env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, program));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {}
  }
  return null;
}

const installHint = (pkg: string) => `Debian/Ubuntu: apt-get install ${pkg}`;

/** Null when `program` is on PATH; otherwise "<program> is not installed (Debian/Ubuntu: apt-get install <pkg>)". */
export function missing(program: string, debianPackage = DEBIAN_PACKAGES[program] ?? program): string | null {
  return which(program) ? null : `${program} is not installed (${installHint(debianPackage)})`;
}

/**
 * Null when `python` can import `module`; otherwise a reason naming the Debian package
 * (python3-<module> by default). Tests run Debian's /usr/bin/python3 so that Debian's
 * python3-* packages are the ones imported, whatever python3 comes first on PATH.
 */
export function missingPythonModule(
  module: string,
  debianPackage = DEBIAN_PACKAGES[`python3:${module}`] ?? `python3-${module}`,
  python = "/usr/bin/python3",
): string | null {
  if (!which(python)) return `${python} is not installed (${installHint(`python3 ${debianPackage}`)})`;
  const r = spawnSync(python, ["-c", `import ${module}`], { stdio: "ignore", timeout: 30_000 });
  return r.status === 0
    ? null
    : `the Python module ${module} is not installed for ${python} (${installHint(debianPackage)})`;
}
