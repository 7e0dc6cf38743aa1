package io.llmbroker.audit;

import io.llmbroker.audit.archive.ArchiveDirectory;
import io.llmbroker.audit.archive.PartFile;
import io.llmbroker.audit.query.ArchiveQuery;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Reads an archive from Java: its files, how many calls it holds, and any SQL over its
 * {@code calls} view (see {@link ArchiveQuery}). Any other Parquet reader reads the files too.
 */
public final class AuditArchive {

  private AuditArchive() {}

  /** How many calls the archive under {@code archiveDir} holds. */
  public static long count(Path archiveDir) {
    return ((Number) rows(archiveDir, "SELECT count(*) AS n FROM calls").get(0).get("n")).longValue();
  }

  /** The archive's files, ordered by date, partition and slot. */
  public static List<PartFile> files(Path archiveDir) {
    return new ArchiveDirectory(archiveDir).parts();
  }

  /**
   * The rows of {@code sql} over the {@code calls} view, in memory: for tests and small answers.
   *
   * @throws IllegalArgumentException when the query is wrong, with DuckDB's message
   */
  public static List<Map<String, Object>> rows(Path archiveDir, String sql, Object... params) {
    try (ArchiveQuery query = ArchiveQuery.open(archiveDir)) {
      return query.rows(sql, params);
    } catch (SQLException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
