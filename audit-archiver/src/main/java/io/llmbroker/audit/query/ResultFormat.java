package io.llmbroker.audit.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** How {@code audit query} prints a result: an aligned table, CSV (RFC 4180) or JSON lines. */
public enum ResultFormat {
  TABLE, CSV, JSON;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** A table shows at most this many characters of a value; CSV and JSON show all. */
  private static final int CELL = 60;

  /**
   * Prints every row of {@code rs}.
   *
   * @return the number of rows
   */
  public long print(ResultSet rs, PrintWriter out) throws SQLException {
    ResultSetMetaData meta = rs.getMetaData();
    int columns = meta.getColumnCount();
    List<String> names = new ArrayList<>();
    for (int c = 1; c <= columns; c++) {
      names.add(meta.getColumnLabel(c));
    }
    long n = 0;
    switch (this) {
      case CSV -> {
        out.println(String.join(",", names.stream().map(ResultFormat::csv).toList()));
        while (rs.next()) {
          List<String> cells = new ArrayList<>();
          for (int c = 1; c <= columns; c++) {
            cells.add(csv(text(rs.getObject(c))));
          }
          out.println(String.join(",", cells));
          n++;
        }
      }
      case JSON -> {
        while (rs.next()) {
          ObjectNode row = MAPPER.createObjectNode();
          for (int c = 1; c <= columns; c++) {
            Object v = rs.getObject(c);
            if (v == null) {
              row.putNull(names.get(c - 1));
            } else if (v instanceof Number || v instanceof Boolean) {
              row.set(names.get(c - 1), MAPPER.valueToTree(v));
            } else {
              row.put(names.get(c - 1), text(v));
            }
          }
          out.println(row);
          n++;
        }
      }
      case TABLE -> {
        List<String[]> rows = new ArrayList<>();
        int[] width = names.stream().mapToInt(String::length).toArray();
        while (rs.next()) {
          String[] row = new String[columns];
          for (int c = 1; c <= columns; c++) {
            String v = text(rs.getObject(c)).replace('\n', ' ');
            row[c - 1] = v.length() > CELL ? v.substring(0, CELL - 1) + "…" : v;
            width[c - 1] = Math.max(width[c - 1], row[c - 1].length());
          }
          rows.add(row);
        }
        out.println(line(names.toArray(String[]::new), width));
        StringBuilder rule = new StringBuilder();
        for (int w : width) {
          rule.append(rule.length() == 0 ? "" : "  ").append("-".repeat(w));
        }
        out.println(rule);
        rows.forEach(r -> out.println(line(r, width)));
        out.printf("(%d row%s)%n", rows.size(), rows.size() == 1 ? "" : "s");
        n = rows.size();
      }
      default -> throw new IllegalStateException(name());
    }
    out.flush();
    return n;
  }

  private static String line(String[] cells, int[] width) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      b.append(i == 0 ? "" : "  ").append(String.format("%-" + width[i] + "s", cells[i]));
    }
    return b.toString().stripTrailing();
  }

  private static String text(Object v) {
    return Objects.toString(v, "");
  }

  private static String csv(String v) {
    return v.contains(",") || v.contains("\"") || v.contains("\n") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
  }
}
