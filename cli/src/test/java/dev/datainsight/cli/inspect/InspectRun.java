package dev.datainsight.cli.inspect;

import dev.datainsight.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.BooleanSupplier;

/** Runs {@code datainsight ...} in-process and keeps exit code, stdout and stderr. */
record InspectRun(int rc, String out, String err) {

    static InspectRun run(String... args) {
        picocli.CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new InspectRun(rc, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "rc=" + rc + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }

    /** A connection with an application_name. */
    static Connection connect(String jdbcUrl, String app) throws SQLException {
        Properties p = new Properties();
        p.setProperty("ApplicationName", app);
        return DriverManager.getConnection(jdbcUrl, p);
    }

    static long scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }
}
