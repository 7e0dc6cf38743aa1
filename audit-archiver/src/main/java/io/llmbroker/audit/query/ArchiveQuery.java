package io.llmbroker.audit.query;

import io.llmbroker.audit.archive.ParquetParts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * SQL over an archive through an in-memory DuckDB: the view {@code calls} holds every archived
 * call, one row each, with the part files' columns (see {@link ParquetParts#COLUMNS}), the
 * {@code date} of its folder and {@code cost_usd}. Reads the files as they are when a query runs,
 * so a running archiver's new files show up. Not thread-safe: one query at a time.
 */
public final class ArchiveQuery implements AutoCloseable {

  /** The view's extra columns, computed from the stored ones. */
  private static final String EXTRA = "cost_micros / 1000000.0 AS cost_usd";

  private final Connection connection;

  private ArchiveQuery(Connection connection) {
    this.connection = connection;
  }

  /**
   * Opens the archive under {@code root}; an archive without files (or no folder) reads as empty.
   *
   * @throws SQLException when DuckDB cannot start
   */
  public static ArchiveQuery open(Path root) throws SQLException {
    Connection connection = DriverManager.getConnection("jdbc:duckdb:");
    try (Statement statement = connection.createStatement()) {
      if (hasParts(root)) {
        statement.execute("CREATE VIEW calls AS SELECT *, " + EXTRA + " FROM read_parquet("
            + ParquetParts.quote(root.resolve("date=*").resolve("part-*" + ParquetParts.EXTENSION))
            + ", hive_partitioning = true, union_by_name = true)");
      } else {
        statement.execute("CREATE TABLE no_calls (" + ParquetParts.COLUMNS + ", date DATE)");
        statement.execute("CREATE VIEW calls AS SELECT *, " + EXTRA + " FROM no_calls");
      }
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return new ArchiveQuery(connection);
  }

  /** The JDBC connection, for streaming large results. */
  public Connection connection() {
    return connection;
  }

  /**
   * Runs {@code sql} with {@code params} bound to its {@code ?} and returns every row, column
   * name → value, in order.
   *
   * @throws SQLException when the query is wrong; the message is DuckDB's
   */
  public List<Map<String, Object>> rows(String sql, Object... params) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        statement.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = statement.executeQuery()) {
        ResultSetMetaData meta = rs.getMetaData();
        List<Map<String, Object>> rows = new ArrayList<>();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int c = 1; c <= meta.getColumnCount(); c++) {
            row.put(meta.getColumnLabel(c), rs.getObject(c));
          }
          rows.add(row);
        }
        return rows;
      }
    }
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }

  private static boolean hasParts(Path root) {
    try (Stream<Path> files = Files.isDirectory(root) ? Files.walk(root, 2) : Stream.empty()) {
      return files.anyMatch(p -> p.getFileName().toString().matches("part-.*\\.parquet")
          && p.getParent().getFileName().toString().startsWith("date="));
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return false;
    }
  }
}
