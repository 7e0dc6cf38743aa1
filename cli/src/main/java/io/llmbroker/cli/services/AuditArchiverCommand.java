package io.llmbroker.cli.services;

import io.llmbroker.audit.AuditArchiverService;
import io.llmbroker.audit.config.AuditArchiverConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "audit-archiver", mixinStandardHelpOptions = true,
    description = "Runs the audit archiver (Kafka Streams) until SIGTERM.")
public final class AuditArchiverCommand implements Callable<Integer> {

  @Option(names = "--config", description = "Audit archiver YAML; the bundled default when absent.")
  Path config;

  @Override
  public Integer call() {
    var env = System.getenv();
    AuditArchiverConfig cfg = config == null
        ? AuditArchiverConfig.parse(AuditArchiverConfig.bundledYaml(), env) : AuditArchiverConfig.load(config, env);
    AuditArchiverService service = AuditArchiverService.start(cfg, env);
    System.out.println("audit archiver running; archive under " + service.archiveDir());
    return ServiceRunner.runUntilShutdown("audit-archiver", service);
  }
}
