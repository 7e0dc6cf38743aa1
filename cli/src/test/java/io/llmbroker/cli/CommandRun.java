package io.llmbroker.cli;

import io.llmbroker.schemas.Topics;
import io.llmbroker.testsupport.KafkaFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of {@code llm-broker} against a test broker and topic prefix, with its exit code and output. */
public record CommandRun(int code, String out, String err) {

  /** Runs {@code args} with {@code --bootstrap-server} and {@code --topic-prefix} of {@code kafka} and {@code topics}. */
  public static CommandRun run(KafkaFixture kafka, Topics topics, String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap-server";
    all[args.length + 1] = kafka.bootstrapServers();
    all[args.length + 2] = "--topic-prefix";
    all[args.length + 3] = topics.prefix();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = LlmBrokerCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(all);
    return new CommandRun(code, out.toString(), err.toString());
  }
}
