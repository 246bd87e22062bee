#!/usr/bin/env bash
# Prints the folder of Apache Kafka's broker jars, resolved once from Maven Central with a
# throw-away pom into .tools/kafka/<version>/libs. Logging backend: log4j2 (not a declared dependency).
set -euo pipefail
KAFKA_VERSION=4.1.1
LOG4J_VERSION=2.24.3
SLF4J_VERSION=2.0.17
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/kafka/$KAFKA_VERSION-log4j$LOG4J_VERSION-slf4j$SLF4J_VERSION"
libs="$dir/libs"
if [[ ! -f "$dir/.complete" ]]; then
  echo "resolving Kafka $KAFKA_VERSION from Maven Central…" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.modelregistry</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- Kafka declares slf4j 1.7; the log4j2 binding needs the 2.x API. -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  mvn -q -B -f "$dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$dir/.complete"
fi
echo "$libs"
