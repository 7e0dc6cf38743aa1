package io.llmbroker.bench;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One benchmark's result as Markdown ready to paste into {@code docs/BENCHMARKS.md}: what was
 * measured, how, on which machine and when, the figures, the target and its anchor, and whether
 * the target was met. A run started above {@link Machine#QUIET_LOAD} says it was taken under
 * load. Not thread-safe; built by one thread at the end of a run.
 */
final class ResultBlock {

  private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT);

  private final String title;
  private final List<String[]> figures = new ArrayList<>();
  private List<String> columns = List.of("value");
  private final List<String> notes = new ArrayList<>();
  private String command = "";
  private String what = "";
  private String how = "";
  private String target = "";
  private String anchor = "";
  private Machine machine;
  private ZonedDateTime date;
  private Boolean met;
  private String verdict = "";

  ResultBlock(String title) {
    this.title = Objects.requireNonNull(title, "title");
  }

  ResultBlock command(String text) {
    this.command = text;
    return this;
  }

  ResultBlock what(String text) {
    this.what = text;
    return this;
  }

  ResultBlock how(String text) {
    this.how = text;
    return this;
  }

  ResultBlock target(String text) {
    this.target = text;
    return this;
  }

  ResultBlock anchor(String text) {
    this.anchor = text;
    return this;
  }

  ResultBlock ranOn(Machine host, ZonedDateTime when) {
    this.machine = host;
    this.date = when;
    return this;
  }

  /** Headers of the value columns of the figures table; one {@code value} column unless set. */
  ResultBlock columns(String... headers) {
    this.columns = List.of(headers);
    return this;
  }

  /** A row of the figures table: its name, then one value per column. */
  ResultBlock figure(String name, String... values) {
    if (values.length != columns.size()) {
      throw new IllegalArgumentException("figure '" + name + "' needs " + columns.size() + " values: " + values.length);
    }
    String[] row = new String[values.length + 1];
    row[0] = name;
    System.arraycopy(values, 0, row, 1, values.length);
    figures.add(row);
    return this;
  }

  ResultBlock note(String text) {
    notes.add(text);
    return this;
  }

  /** Whether the target was met, and the comparison that says so. */
  ResultBlock verdict(boolean targetMet, String comparison) {
    this.met = targetMet;
    this.verdict = comparison;
    return this;
  }

  boolean met() {
    return Boolean.TRUE.equals(met);
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("### ").append(title).append("\n\n");
    line(md, "What", what);
    line(md, "How", how);
    if (!command.isEmpty()) {
      md.append("- **Command:** `").append(command).append("`\n");
    }
    if (machine != null) {
      line(md, "Machine", machine.describe());
    }
    if (date != null) {
      line(md, "Date", DATE.format(date.withZoneSameInstant(ZoneOffset.UTC)));
    }
    line(md, "Target", target);
    line(md, "Anchor", anchor);
    if (machine != null && machine.underLoad()) {
      md.append("- **Taken under load:** the load average was above ").append(Machine.QUIET_LOAD)
          .append(" when the run started; treat the figures as pessimistic.\n");
    }
    if (!figures.isEmpty()) {
      md.append("\n| figure |");
      columns.forEach(c -> md.append(' ').append(cell(c)).append(" |"));
      md.append("\n|---|").append("---|".repeat(columns.size())).append('\n');
      for (String[] row : figures) {
        md.append('|');
        for (String value : row) {
          md.append(' ').append(cell(value)).append(" |");
        }
        md.append('\n');
      }
    }
    if (met != null) {
      md.append("\n**Result: ").append(met ? "met" : "missed").append("**");
      md.append(verdict.isEmpty() ? "" : " (" + verdict + ")").append("\n");
    }
    for (String n : notes) {
      md.append("\n").append(n).append("\n");
    }
    return md.toString();
  }

  private static void line(StringBuilder md, String name, String text) {
    if (!text.isEmpty()) {
      md.append("- **").append(name).append(":** ").append(text).append("\n");
    }
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }

  /** Milliseconds from microseconds, as a figure: {@code 12.34 ms}. */
  static String millis(long micros) {
    return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
  }

  /** A command-line number: {@code 200} rather than {@code 200.0}. */
  static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%,.0f requests/s", perSecond);
  }

  static String mebibytes(long bytes) {
    return String.format(Locale.ROOT, "%,.0f MiB", bytes / (1024.0 * 1024));
  }
}
