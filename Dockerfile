# One image for the four services (worker, cost aggregator, audit archiver, gateway) and the llm-broker command.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -q -B -DskipTests install \
 && mvn -q -B -pl cli dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/app/lib \
 && cp -r cli/target/classes /app/classes

FROM eclipse-temurin:17-jre
COPY --from=build /app /app
ENV JAVA_TOOL_OPTIONS="-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.llmbroker.avro -Dsun.net.httpserver.nodelay=true"
ENTRYPOINT ["java", "-cp", "/app/classes:/app/lib/*", "io.llmbroker.cli.LlmBrokerCommand"]
CMD ["--help"]
