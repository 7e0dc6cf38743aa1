package io.llmbroker.bench;

import io.llmbroker.testsupport.KafkaFixture;
import picocli.CommandLine;

/**
 * Runs {@code bench client} against the in-process test broker, for machines without a Kafka:
 * {@code java -cp <bench test classpath> io.llmbroker.bench.BenchClientOnTestBroker [options]}.
 */
public final class BenchClientOnTestBroker {

  private BenchClientOnTestBroker() {}

  public static void main(String[] args) {
    String bootstrap = KafkaFixture.get().bootstrapServers();
    String[] all = new String[args.length + 2];
    all[0] = "--bootstrap-servers";
    all[1] = bootstrap;
    System.arraycopy(args, 0, all, 2, args.length);
    int code = new CommandLine(new BenchClientCommand()).execute(all);
    System.exit(code);
  }
}
