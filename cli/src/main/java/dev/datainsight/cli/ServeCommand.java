package dev.datainsight.cli;

import dev.datainsight.console.ConsoleServer;
import dev.datainsight.console.ConsoleSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datainsight serve}: the web console (docs/console.md) over a store, read as
 * {@code datainsight_reader}. Passwords and tokens come from environment variables or files,
 * never from the command line, and are never printed.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the web console (Fleet, Instance, Alerts, Queries, Trends and Insights pages and the GraphQL API) from the store, read-only as datainsight_reader.")
public final class ServeCommand implements Callable<Integer> {

    @picocli.CommandLine.Mixin
    ReaderLoginOptions login = new ReaderLoginOptions();

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = ConsoleSettings.DEFAULT_LISTEN,
            description = "Address to bind. Default: ${DEFAULT-VALUE} (loopback). Any other address needs a token.")
    String listen;

    @Option(names = "--token-env", paramLabel = "ENV_VAR", defaultValue = "DATAINSIGHT_CONSOLE_TOKEN",
            description = "Environment variable holding the bearer token requests must present (16+ characters). Default: ${DEFAULT-VALUE}")
    String tokenEnv;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token (instead of --token-env).")
    Path tokenFile;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Counted down by Ctrl-C (a shutdown hook) or by a test. */
    final CountDownLatch stop = new CountDownLatch(1);

    /** The settings these options describe (reads the password and token). */
    ConsoleSettings settings() throws IOException {
        if (!login.hasStore()) {
            throw new IllegalArgumentException("no store given: pass --store jdbc:postgresql://host:port/db or set DATAINSIGHT_STORE_URL");
        }
        String[] hp = ConsoleSettings.splitListen(listen);
        return new ConsoleSettings(hp[0], Integer.parseInt(hp[1]), login.store(), login.user(), login.password(),
                ReaderLoginOptions.secret(tokenFile, tokenEnv));
    }

    @Override
    public Integer call() throws Exception {
        ConsoleSettings s = settings();
        try (ConsoleServer server = ConsoleServer.start(s)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "console-stop"));
            var out = spec.commandLine().getOut();
            out.printf("DataInsight console: %s/fleet (store %s, read-only as datainsight_reader%s). Ctrl-C stops.%n",
                    server.url(), s.jdbcUrl().replaceAll("\\?.*", ""), s.authRequired() ? ", bearer token required" : "");
            out.flush();
            stop.await();
        }
        return 0;
    }
}
