#!/usr/bin/env bash
# Prints the folder of Apache Kafka's broker jars, resolved once from Maven Central (the only
# place Kafka can come from here) with a throw-away pom into .tools/kafka/<version>/libs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"
KAFKA_VERSION=4.1.1 # 4.x brokers need Java 17+ (class files are version 61)
LOG4J_VERSION=2.24.3
SLF4J_VERSION=2.0.17
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/kafka/$KAFKA_VERSION"
libs="$dir/libs"
marker="$dir/.complete"
coordinates="kafka_2.13:$KAFKA_VERSION log4j:$LOG4J_VERSION slf4j:$SLF4J_VERSION"
resolved() { [[ "$(cat "$marker" 2>/dev/null)" == "$coordinates" ]]; }

if ! resolved; then
  mkdir -p "$root/.tools/kafka"
  # Parallel test set-ups on a fresh machine: one resolves, the others wait for it.
  exec 9>"$root/.tools/kafka/.lock"
  flock 9
  if ! resolved; then
    if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
      echo "installing Java 17 and Maven (Debian packages)…" >&2
      apt_install ensure-kafka openjdk-17-jre-headless maven
    fi
    echo "resolving Kafka $KAFKA_VERSION from Maven Central into $libs…" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    # Kafka's pom declares no logging backend (and slf4j 1.7): add log4j2 with the slf4j 2 API it binds to.
    cat >"$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.modelregistry</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
    # Even with -q, Maven prints colour codes: keep its output for failures only.
    if ! mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >"$dir/mvn.log" 2>&1; then
      cat "$dir/mvn.log" >&2
      echo "ensure-kafka: Maven could not resolve Kafka $KAFKA_VERSION (log above)" >&2
      exit 1
    fi
    [[ -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || { echo "ensure-kafka: $libs lacks kafka_2.13-$KAFKA_VERSION.jar" >&2; exit 1; }
    echo "$coordinates" >"$marker"
  fi
fi
echo "$libs"
