#!/usr/bin/env bash
# Puts Apache Kafka's jars (broker, tools, clients, streams, their runtime dependencies and a
# Log4j 2 backend) into .kafka-cache/<version>/libs, the reference cluster for Brook's tests and
# benches (test/support/apache-kafka.ts). Needs Java 17+ and Maven reaching Maven Central.
# Idempotent: returns at once when the marker says this pom.xml is already installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pom="$here/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
dest="$root/.kafka-cache/$version"
stamp="$(sha256sum "$pom" | cut -c1-16)"

if [ -f "$dest/installed" ] && [ "$(cat "$dest/installed")" = "$stamp" ] && [ -d "$dest/libs" ]; then
  echo "apache-kafka: $version is installed in ${dest#"$root"/}/libs"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "apache-kafka: '$tool' not found; install Java 17+ and Maven (Debian: apt-get install default-jdk-headless maven)" >&2
    exit 1
  fi
done

echo "apache-kafka: downloading Apache Kafka $version and its dependencies from Maven Central"
mkdir -p "$dest"
tmp="$dest/libs.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$tmp" >"$dest/mvn.log" 2>&1; then
  cat "$dest/mvn.log" >&2
  echo "apache-kafka: mvn failed (log: ${dest#"$root"/}/mvn.log)" >&2
  exit 1
fi
rm -rf "$dest/libs"
mv "$tmp" "$dest/libs"
echo "$stamp" >"$dest/installed"
echo "apache-kafka: $version installed in ${dest#"$root"/}/libs ($(ls "$dest/libs" | wc -l) jars)"
