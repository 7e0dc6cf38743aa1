package io.llmbroker.cli.apps;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code llm-broker apps add|list|show|set|revoke}: the apps registry on {@code llm.apps}. */
@Command(name = "apps", mixinStandardHelpOptions = true,
    description = {"Manages the apps registry (the compacted topic llm.apps): each app's team, models, ceilings and "
        + "public keys. Workers follow it while they run.",
        "A new key's private half is printed once and never stored: only the public key goes to Kafka."},
    subcommands = {AppsAddCommand.class, AppsListCommand.class, AppsShowCommand.class, AppsSetCommand.class,
        AppsRevokeCommand.class})
public final class AppsCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
