package io.llmbroker.cli.client;

import io.llmbroker.testsupport.KafkaFixture;
import picocli.CommandLine;

/**
 * Runs {@code bench client} against the in-process test broker, for machines without a Kafka:
 * {@code java -cp <cli test classpath> io.llmbroker.cli.client.BenchClientOnTestBroker [options]}.
 */
public final class BenchClientOnTestBroker {

  private BenchClientOnTestBroker() {}

  public static void main(String[] args) {
    String bootstrap = KafkaFixture.get().bootstrapServers();
    String[] all = new String[args.length + 2];
    all[0] = "--bootstrap-server";
    all[1] = bootstrap;
    System.arraycopy(args, 0, all, 2, args.length);
    int code = new CommandLine(new BenchClientCommand()).execute(all);
    System.exit(code);
  }
}
