package dev.datainsight.cli.demo;

import java.io.PrintStream;
import java.util.Locale;

/** Progress lines of the demo, each prefixed with the time since start ({@code [01:05]}). */
public final class Console {
    private final PrintStream out;
    private final long t0 = System.nanoTime();

    public Console(PrintStream out) {
        this.out = out;
    }

    /** Seconds since the demo started. */
    public long elapsedSeconds() {
        return (System.nanoTime() - t0) / 1_000_000_000L;
    }

    public String stamp() {
        long s = elapsedSeconds();
        return String.format(Locale.ROOT, "[%02d:%02d]", s / 60, s % 60);
    }

    /** One progress line. */
    public synchronized void line(String fmt, Object... args) {
        out.println(stamp() + " " + (args.length == 0 ? fmt : String.format(Locale.ROOT, fmt, args)));
        out.flush();
    }

    /** A line without the time prefix (summary blocks). */
    public synchronized void plain(String fmt, Object... args) {
        out.println(args.length == 0 ? fmt : String.format(Locale.ROOT, fmt, args));
        out.flush();
    }
}
