# The promotion service as an image. Build from the repository root:
#   docker build -f docker/promotion.Dockerfile -t strata-promotion .
# It needs a Strata server (STRATA_URL) and its own token (STRATA_TOKEN or STRATA_TOKEN_FILE); policy
# files, when the repository's pipelines are kept in Git or a ConfigMap, are mounted at
# STRATA_PROMOTION_POLICY_DIR.

# --- 1. build: the service and what it is built from (the server's OpenAPI document generates its client)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml ./
COPY event-schemas/pom.xml event-schemas/
COPY projections/pom.xml projections/
COPY services/server/pom.xml services/server/
COPY services/promotion/pom.xml services/promotion/
COPY clients/java/pom.xml clients/java/
COPY clients/cli/pom.xml clients/cli/
COPY clients/typescript/pom.xml clients/typescript/
COPY k8s/pom.xml k8s/
COPY docker/pom.xml docker/
COPY delta-interop/pom.xml delta-interop/
COPY benchmarks/pom.xml benchmarks/
COPY event-schemas/src event-schemas/src
COPY projections/src projections/src
COPY services/server/src services/server/src
COPY clients/java/src clients/java/src
COPY services/promotion/src services/promotion/src
RUN mvn -B -ntp -DskipTests package -pl services/promotion -am

# --- 2. run: the fast-jar layout on a JRE, as a user other than root; it writes nothing -----------
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 strata \
 && useradd --system --uid 10001 --gid strata --no-create-home --shell /usr/sbin/nologin strata
WORKDIR /opt/strata-promotion
COPY --from=build /build/services/promotion/target/quarkus-app/lib/ lib/
COPY --from=build /build/services/promotion/target/quarkus-app/quarkus-run.jar ./
COPY --from=build /build/services/promotion/target/quarkus-app/app/ app/
COPY --from=build /build/services/promotion/target/quarkus-app/quarkus/ quarkus/
# health on every address of the container (/q/health/live, /q/health/ready); no API is served
ENV STRATA_PROMOTION_HOST=0.0.0.0
EXPOSE 8001
USER 10001:10001
ENTRYPOINT ["java", "-jar", "quarkus-run.jar"]
