package io.llmbroker.worker.intake;

import java.util.List;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.GroupMaxSizeReachedException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.UnreleasedInstanceIdException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The consumer errors that no retry can cure: the worker's credentials or ACLs, another member
 * with the same {@code group.instance.id}, a group or broker that refuses this client. Other
 * Kafka errors (a broker away, a coordinator moving) recover on a later poll.
 */
final class FatalErrors {

  private static final List<Class<? extends Throwable>> FATAL = List.of(
      AuthenticationException.class, AuthorizationException.class, FencedInstanceIdException.class,
      UnreleasedInstanceIdException.class, InvalidGroupIdException.class, GroupMaxSizeReachedException.class,
      UnsupportedVersionException.class);

  private FatalErrors() {}

  static boolean isFatal(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      for (Class<? extends Throwable> fatal : FATAL) {
        if (fatal.isInstance(t)) {
          return true;
        }
      }
    }
    return false;
  }
}
