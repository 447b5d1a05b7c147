package dev.datainsight.logs;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Parsing throughput on one core, against a baseline of the raw pass over the same bytes (split
 * into lines, each decoded to a String: the least any line reader does). Not a unit test: run
 * it by hand (docs/logs.md#benchmark) and read the numbers.
 *
 * <pre>
 * java -cp logs/target/classes:logs/target/test-classes:JACKSON_CORE_JAR dev.datainsight.logs.LogParseBench [lines]
 * </pre>
 */
public final class LogParseBench {
    private static final String PREFIX = "%m [%p] %quser=%u,db=%d,app=%a,client=%h,e=%e ";
    private static final int CHUNK = 64 * 1024;

    private LogParseBench() {}

    public static void main(String[] args) {
        int lines = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        byte[] stderr = stderrLog(lines);
        byte[] csv = csvLog(lines);
        System.out.printf("%,d lines of stderr log (%,d bytes), %,d lines of csvlog (%,d bytes)%n",
                count(stderr), stderr.length, count(csv), csv.length);
        for (int round = 0; round < 3; round++) {
            boolean report = round == 2;
            run("stderr", stderr, () -> LogReader.stderr(PREFIX, LogOptions.defaults()), report);
            run("csvlog", csv, () -> LogReader.csvlog(17, LogOptions.defaults()), report);
        }
    }

    private static void run(String name, byte[] bytes, java.util.function.Supplier<LogReader> reader, boolean report) {
        int n = count(bytes);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long baseline = split(bytes);
        long t1 = System.nanoTime();
        long c1 = mx.getCurrentThreadCpuTime();
        LogReader r = reader.get();
        long entries = 0;
        long events = 0;
        for (int pos = 0; pos < bytes.length; pos += CHUNK) {
            List<LogEntry> got = r.feed(bytes, pos, Math.min(CHUNK, bytes.length - pos), pos).entries();
            entries += got.size();
            for (LogEntry e : got) {
                events += LogEvents.classify(e).size();
            }
        }
        for (LogEntry e : r.finish().entries()) {
            entries++;
            events += LogEvents.classify(e).size();
        }
        long t2 = System.nanoTime();
        long c2 = mx.getCurrentThreadCpuTime();
        if (report) {
            double base = n / ((t1 - t0) / 1e9);
            double parse = n / ((t2 - t1) / 1e9);
            double baseCpu = n / ((c1 - c0) / 1e9);
            double parseCpu = n / ((c2 - c1) / 1e9);
            System.out.printf("%-7s wall: baseline (read + line split) %,11.0f lines/s | parse + classify %,10.0f lines/s | ratio %.3f%n",
                    name, base, parse, parse / base);
            System.out.printf("%-7s cpu:  baseline (read + line split) %,11.0f lines/s | parse + classify %,10.0f lines/s | ratio %.3f"
                    + "  (%,d entries, %,d events)%n", name, baseCpu, parseCpu, parseCpu / baseCpu, entries, events);
        }
        if (baseline != n) {
            throw new IllegalStateException("split " + baseline + " of " + n);
        }
    }

    /** The baseline: every line decoded to a String, nothing else. */
    private static long split(byte[] b) {
        long lines = 0;
        long chars = 0;
        int start = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                chars += new String(b, start, i - start, StandardCharsets.UTF_8).length();
                lines++;
                start = i + 1;
            }
        }
        if (chars < 0) {
            throw new IllegalStateException();
        }
        return lines;
    }

    private static int count(byte[] b) {
        int n = 0;
        for (byte c : b) {
            if (c == '\n') {
                n++;
            }
        }
        return n;
    }

    /** A mix shaped like a busy server's log: connections, slow statements, errors with detail, checkpoints, autovacuum. */
    static byte[] stderrLog(int lines) {
        StringBuilder sb = new StringBuilder(lines * 130);
        int n = 0;
        long ms = 0;
        while (n < lines) {
            int pid = 10_000 + (int) (ms % 5000);
            String ts = String.format("2026-12-03 %02d:%02d:%02d.%03d UTC", (ms / 3_600_000) % 24, (ms / 60_000) % 60, (ms / 1000) % 60, ms % 1000);
            String p = ts + " [" + pid + "] user=app,db=shop,app=web,client=10.0.0." + (pid % 250) + ",e=";
            switch ((int) (ms % 10)) {
                case 0, 1, 2 -> {
                    sb.append(p).append("00000 LOG:  duration: ").append(100 + ms % 900).append(".123 ms  execute S_1: SELECT o.id, o.total FROM orders o WHERE o.customer_id = $1 ORDER BY o.created DESC LIMIT 20\n");
                    sb.append(p).append("00000 DETAIL:  parameters: $1 = '").append(ms).append("'\n");
                    n += 2;
                }
                case 3, 4 -> {
                    sb.append(ts).append(" [").append(pid).append("] LOG:  connection received: host=10.0.0.1 port=").append(40000 + pid).append('\n');
                    sb.append(p).append("00000 LOG:  connection authorized: user=app database=shop application_name=web\n");
                    n += 2;
                }
                case 5 -> {
                    sb.append(p).append("23505 ERROR:  duplicate key value violates unique constraint \"orders_pkey\"\n");
                    sb.append(p).append("23505 DETAIL:  Key (id)=(").append(ms).append(") already exists.\n");
                    sb.append(p).append("23505 STATEMENT:  INSERT INTO orders (id, customer_id, total)\n");
                    sb.append("\t  VALUES ($1, $2, $3)\n");
                    n += 4;
                }
                case 6 -> {
                    sb.append(p).append("00000 LOG:  temporary file: path \"base/pgsql_tmp/pgsql_tmp").append(pid).append(".0\", size 2457600\n");
                    sb.append(p).append("00000 STATEMENT:  SELECT * FROM events ORDER BY created\n");
                    n += 2;
                }
                case 7 -> {
                    sb.append(ts).append(" [77] LOG:  checkpoint complete: wrote 981 buffers (6.0%); 0 WAL file(s) added, 0 removed, 2 recycled; write=26.977 s, sync=0.001 s, total=27.078 s; sync files=12, longest=0.001 s, average=0.000 s; distance=16384 kB, estimate=16384 kB\n");
                    n += 1;
                }
                case 8 -> {
                    sb.append(ts).append(" [").append(pid).append("] LOG:  automatic vacuum of table \"shop.public.orders\": index scans: 1\n");
                    sb.append("\tpages: 0 removed, 1500 remain, 0 skipped due to pins, 0 skipped frozen\n");
                    sb.append("\ttuples: 1000 removed, 90000 remain, 0 are dead but not yet removable, oldest xmin: 7500\n");
                    sb.append("\tbuffer usage: 3000 hits, 0 misses, 20 dirtied\n");
                    sb.append("\tsystem usage: CPU: user: 0.02 s, system: 0.00 s, elapsed: 0.25 s\n");
                    n += 5;
                }
                default -> {
                    sb.append(p).append("00000 LOG:  process ").append(pid).append(" still waiting for ShareLock on transaction 745 after 1000.123 ms\n");
                    sb.append(p).append("00000 DETAIL:  Process holding the lock: 812. Wait queue: ").append(pid).append(".\n");
                    sb.append(p).append("00000 CONTEXT:  while updating tuple (0,1) in relation \"orders\"\n");
                    sb.append(p).append("00000 STATEMENT:  UPDATE orders SET total = total + 1 WHERE id = 1\n");
                    n += 4;
                }
            }
            ms += 7;
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] csvLog(int lines) {
        StringBuilder sb = new StringBuilder(lines * 200);
        long ms = 0;
        for (int n = 0; n < lines; n++) {
            int pid = 10_000 + (int) (ms % 5000);
            String ts = String.format("2026-12-03 %02d:%02d:%02d.%03d UTC", (ms / 3_600_000) % 24, (ms / 60_000) % 60, (ms / 1000) % 60, ms % 1000);
            sb.append(ts).append(",\"app\",\"shop\",").append(pid).append(",\"10.0.0.1:").append(40000 + pid)
                    .append("\",6b11b068.4067,").append(n).append(",\"SELECT\",2026-12-03 00:00:00 UTC,3/").append(n).append(",0,");
            if (n % 4 == 0) {
                sb.append("ERROR,23505,\"duplicate key value violates unique constraint \"\"orders_pkey\"\"\",\"Key (id)=(")
                        .append(n).append(") already exists.\",,,,,\"INSERT INTO orders (id, total) VALUES ($1, $2)\",,,\"web\",\"client backend\",,123456789\n");
            } else {
                sb.append("LOG,00000,\"duration: 123.456 ms  execute S_1: SELECT o.id, o.total FROM orders o WHERE o.customer_id = $1\",\"parameters: $1 = '")
                        .append(n).append("'\",,,,,,,,\"web\",\"client backend\",,123456789\n");
            }
            ms += 7;
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
