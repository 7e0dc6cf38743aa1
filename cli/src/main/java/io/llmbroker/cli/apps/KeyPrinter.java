package io.llmbroker.cli.apps;

import java.io.PrintWriter;

/** Prints a new key's private half: the only time it is ever shown. */
final class KeyPrinter {

  private KeyPrinter() {
  }

  static void print(PrintWriter out, AppStore.NewKey key) {
    out.println("signing-key-id: " + key.key().getId());
    out.println("signing-key: " + key.privateKey());
    out.println("The private key above is shown once and stored nowhere: keep it as a secret of the app"
        + " (client config 'signing-key', e.g. from ${LLM_BROKER_SIGNING_KEY}).");
  }
}
