package io.llmbroker.runtime.config;

import io.llmbroker.schemas.Topics;
import java.util.Optional;

/**
 * The {@code topics:} section every service shares: the name prefix, and how the topics a
 * service creates when missing are made. Absent values take the defaults below.
 *
 * @param prefix prepended to every topic name (and to consumer groups and Streams ids); default empty
 * @param partitions partitions of the topics a service creates; default 6
 * @param replicationFactor replicas of the topics a service creates; default 1
 */
public record TopicSettings(String prefix, Integer partitions, Short replicationFactor) {

  public TopicSettings {
    prefix = prefix == null ? "" : prefix;
    partitions = partitions == null ? 6 : partitions;
    replicationFactor = replicationFactor == null ? 1 : replicationFactor;
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication-factor must be >= 1: " + replicationFactor);
    }
    // Builds the catalogue once so that a bad prefix fails here, naming this key.
    catalogue(prefix, partitions);
  }

  /** All defaults. */
  public static TopicSettings defaults() {
    return new TopicSettings(null, null, null);
  }

  /** The topic catalogue these settings describe. */
  public Topics catalogue() {
    return catalogue(prefix, partitions);
  }

  private static Topics catalogue(String prefix, int partitions) {
    return new Topics(prefix, Optional.of(partitions));
  }
}
