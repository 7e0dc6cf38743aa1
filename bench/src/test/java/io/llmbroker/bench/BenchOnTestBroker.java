package io.llmbroker.bench;

import io.llmbroker.testsupport.KafkaFixture;

/**
 * Runs one benchmark against the in-process test broker, for machines without a Kafka:
 * {@code java -cp <bench test classpath> io.llmbroker.bench.BenchOnTestBroker signatures [options]}.
 */
public final class BenchOnTestBroker {

  private BenchOnTestBroker() {}

  public static void main(String[] args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("name a benchmark, e.g. signatures");
    }
    String[] all = new String[args.length + 1];
    all[0] = args[0];
    all[1] = "--bootstrap-servers=" + KafkaFixture.get().bootstrapServers();
    System.arraycopy(args, 1, all, 2, args.length - 1);
    System.exit(BenchCommand.commandLine().execute(all));
  }
}
