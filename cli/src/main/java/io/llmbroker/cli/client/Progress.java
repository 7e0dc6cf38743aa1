package io.llmbroker.cli.client;

import io.llmbroker.client.batch.ProgressListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar with rate and ETA on stderr, fed by a {@link ProgressListener}; silent when disabled. */
final class Progress implements ProgressListener, AutoCloseable {

  private final ProgressBar bar;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  static Progress start(String task, String unit, boolean enabled) {
    if (!enabled) {
      return new Progress(null);
    }
    return new Progress(new ProgressBarBuilder().setTaskName(task).setStyle(ProgressBarStyle.ASCII)
        .setInitialMax(-1).setUnit(" " + unit, 1).showSpeed().setUpdateIntervalMillis(250).build());
  }

  @Override
  public void progress(long done, long total) {
    if (bar == null) {
      return;
    }
    if (total >= 0 && bar.getMax() != total) {
      bar.maxHint(total);
    }
    bar.stepTo(done);
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
