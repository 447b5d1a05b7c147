package dev.datainsight.cli.inspect;

import dev.datainsight.collector.FleetConfig;
import dev.datainsight.collector.PostgresUrl;
import dev.datainsight.config.DurationSyntax;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * Where and how a live {@code inspect} subcommand connects. The options may be given before the
 * subcommand ({@code inspect --target URL locks}) or after it ({@code inspect locks --target URL});
 * a value after the subcommand wins. The password never comes from the command line (other users
 * see it in {@code ps}): from {@code $PGPASSWORD} or the variable named by {@code --password-env}.
 */
public final class TargetOptions {
    /** The collector's session settings (statement_timeout 5 s, lock_timeout 1 s, connect 5 s). */
    static final FleetConfig COLLECTOR_DEFAULTS = FleetConfig.builder().build();
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--target", paramLabel = "URL",
            description = "The server: postgresql://user@host:port/db or jdbc:postgresql://host:port/db (no password in it).")
    String target;

    @Option(names = "--user", paramLabel = "ROLE", description = "Role when the URL has none (default: $PGUSER, else postgres).")
    String user;

    @Option(names = "--password-env", paramLabel = "VAR",
            description = "Environment variable holding the password (default: PGPASSWORD if set).")
    String passwordEnv;

    @Option(names = "--statement-timeout", paramLabel = "DURATION",
            description = "statement_timeout of the session (default: the collector's, 5s).")
    Duration statementTimeout;

    @Option(names = "--lock-timeout", paramLabel = "DURATION",
            description = "lock_timeout of the session (default: the collector's, 1s).")
    Duration lockTimeout;

    /** What a subcommand connects with, after the options are checked. */
    public record Resolved(PostgresUrl url, String user, String password, Duration statementTimeout,
            Duration lockTimeout, Duration connectTimeout) {
        @Override
        public String toString() {
            return "Resolved{" + url.jdbcUrl(url.database()) + ", user=" + user + "}";
        }
    }

    /**
     * Checks the options of a subcommand ({@code own}) and of {@code inspect} itself ({@code outer}),
     * before any connection.
     *
     * @throws CommandLine.ParameterException for a missing or bad option (exit code 2)
     */
    static Resolved resolve(CommandLine cmd, TargetOptions own, TargetOptions outer, Map<String, String> env) {
        String t = pick(own.target, outer == null ? null : outer.target);
        if (t == null || t.isBlank()) {
            throw new CommandLine.ParameterException(cmd, "give --target URL (the server to inspect)");
        }
        PostgresUrl url;
        try {
            url = PostgresUrl.parse(t);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, "--target: " + e.getMessage());
        }
        if (url.password() != null) {
            throw new CommandLine.ParameterException(cmd, "--target holds a password: a command line is visible to"
                    + " other users of the machine; put it in PGPASSWORD or in a variable named by --password-env");
        }
        String pwEnv = pick(own.passwordEnv, outer == null ? null : outer.passwordEnv);
        String password = env.get(pwEnv != null ? pwEnv : "PGPASSWORD");
        if (pwEnv != null && password == null) {
            throw new CommandLine.ParameterException(cmd, "--password-env: environment variable " + pwEnv + " is not set");
        }
        String u = url.user();
        if (u == null) {
            u = pick(own.user, outer == null ? null : outer.user);
        }
        if (u == null) {
            u = env.getOrDefault("PGUSER", "postgres");
        }
        Duration st = orDefault(pick(own.statementTimeout, outer == null ? null : outer.statementTimeout),
                COLLECTOR_DEFAULTS.statementTimeout());
        Duration lt = orDefault(pick(own.lockTimeout, outer == null ? null : outer.lockTimeout),
                COLLECTOR_DEFAULTS.lockTimeout());
        check(cmd, "--statement-timeout", st);
        check(cmd, "--lock-timeout", lt);
        return new Resolved(url, u, password, st, lt, COLLECTOR_DEFAULTS.connectTimeout());
    }

    private static void check(CommandLine cmd, String name, Duration d) {
        if (d.toMillis() < 1 || d.compareTo(MAX_TIMEOUT) > 0) {
            throw new CommandLine.ParameterException(cmd, name + " must be between 1ms and "
                    + DurationSyntax.format(MAX_TIMEOUT) + ", got " + DurationSyntax.format(d));
        }
    }

    private static <T> T pick(T own, T outer) {
        return own != null ? own : outer;
    }

    private static <T> T orDefault(T v, T d) {
        return v != null ? v : d;
    }
}
