package io.llmbroker.client.batch;

/**
 * What is known locally about one batch; kept as {@code manifest.json} in the batch's state
 * folder and rewritten atomically as submission progresses.
 *
 * @param batchId the batch
 * @param replyTopic the topic its replies go to
 * @param team team charged
 * @param app app named in every request
 * @param priority the request topic's priority class
 * @param source "file:&lt;path&gt;" for a file submission, "api" for {@link BatchSubmitter#add}
 * @param sha256 the input file's digest; null for the API
 * @param lines input lines (requests plus invalid lines) known so far
 * @param invalidLines lines skipped as invalid
 * @param enqueuedThrough every line up to this one is acknowledged by Kafka (or skipped as invalid)
 * @param submittedAt epoch millis of the first submission
 * @param complete true once every line was enqueued
 */
public record BatchManifest(
    String batchId,
    String replyTopic,
    String team,
    String app,
    String priority,
    String source,
    String sha256,
    long lines,
    long invalidLines,
    long enqueuedThrough,
    long submittedAt,
    boolean complete) {

  BatchManifest withProgress(long newLines, long newInvalid, long through, boolean done) {
    return new BatchManifest(batchId, replyTopic, team, app, priority, source, sha256, newLines, newInvalid, through, submittedAt, done);
  }
}
