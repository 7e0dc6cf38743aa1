package io.llmbroker.cli.apps;

import io.llmbroker.schemas.signing.RequestSigning;
import java.io.PrintWriter;
import java.security.KeyPair;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code llm-broker keys gateway-key}: a new Ed25519 key pair for the gateway to sign with. Only
 * printed: the private half goes to the gateway's config, the public half to {@code keys create}.
 */
@Command(name = "gateway-key", mixinStandardHelpOptions = true,
    description = "Generates the gateway's signing key pair. Prints it once; nothing is stored.")
final class KeysGatewayKeyCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    KeyPair pair = RequestSigning.generateKeyPair();
    PrintWriter out = spec.commandLine().getOut();
    out.println("LLM_BROKER_GATEWAY_SIGNING_KEY_ID=" + RequestSigning.keyId(pair.getPublic()));
    out.println("LLM_BROKER_GATEWAY_SIGNING_KEY=" + RequestSigning.encodePrivateKey(pair.getPrivate()));
    out.println("LLM_BROKER_GATEWAY_PUBLIC_KEY=" + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));
    out.println("The first two go to the gateway's environment (the private key is a secret, shown once); the public key"
        + " to 'keys create --gateway-public-key' (or its environment) for every app the gateway serves.");
    return 0;
  }
}
