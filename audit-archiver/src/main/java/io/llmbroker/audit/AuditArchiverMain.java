package io.llmbroker.audit;

import io.llmbroker.audit.config.AuditArchiverConfig;
import io.llmbroker.runtime.config.ConfigException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code audit-archiver [--config FILE]}: runs the audit archiver until SIGTERM or Ctrl-C, then
 * closes it gracefully (flushing its buffer). Without {@code --config}, the bundled defaults are used.
 */
public final class AuditArchiverMain {

  private AuditArchiverMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 0 && !(args.length == 2 && args[0].equals("--config"))) {
      System.err.println("usage: audit-archiver [--config FILE]");
      System.exit(2);
    }
    Map<String, String> env = System.getenv();
    AuditArchiverConfig config;
    try {
      config = args.length == 2
          ? AuditArchiverConfig.load(Path.of(args[1]), env)
          : AuditArchiverConfig.parse(AuditArchiverConfig.bundledYaml(), env);
    } catch (ConfigException e) {
      System.err.println("audit-archiver: " + e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    AuditArchiverService service = AuditArchiverService.start(config, env);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "audit-archiver-shutdown"));
    stopped.await();
  }
}
