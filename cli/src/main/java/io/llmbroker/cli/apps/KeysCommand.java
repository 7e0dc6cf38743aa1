package io.llmbroker.cli.apps;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code llm-broker keys create|list|revoke|gateway-key}: the gateway's virtual keys, kept in {@code llm.apps}. */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = {"Manages the virtual keys of the OpenAI-compatible gateway: bearer tokens that act as an app.",
        "A token is printed once; only its SHA-256 is stored, in the app's record on llm.apps. Gateways follow the "
            + "registry: a revocation counts within seconds."},
    subcommands = {KeysCreateCommand.class, KeysListCommand.class, KeysRevokeCommand.class, KeysGatewayKeyCommand.class})
public final class KeysCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
