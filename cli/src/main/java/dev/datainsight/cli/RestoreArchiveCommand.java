package dev.datainsight.cli;

import dev.datainsight.store.PartitionArchive;
import dev.datainsight.store.PartitionMaintenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code datainsight restore-archive}: verifies one partition archive written by
 * {@code maintain --archive} (manifest, SHA-256, row count) and loads it back into the store as
 * a partition of its table, named {@code <partition>_restored} unless {@code --as} says
 * otherwise. Maintenance never touches that name; drop it when done.
 */
@Command(name = "restore-archive", mixinStandardHelpOptions = true,
        description = {"Load a partition archive (from 'maintain --archive') back into the store as a partition.",
            "Checks the manifest's SHA-256 and row count first, and the table's columns against the archive's.",
            "The partition is named <partition>_restored (maintenance leaves it alone; DROP TABLE it when done).",
            "Runs as an owner login (member of datainsight_owner)."})
public final class RestoreArchiveCommand implements Callable<Integer> {

    @Mixin
    StoreOptions store;

    @Option(names = "--archive", required = true, paramLabel = "DIR",
            description = "The archive directory: the one holding manifest.properties and data.pgcopy.gz.")
    Path archive;

    @Option(names = "--as", paramLabel = "NAME", description = "Name of the restored partition. Default: <partition>_restored.")
    String as;

    @Option(names = "--verify-only", description = "Only check the archive; load nothing.")
    boolean verifyOnly;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        if (!Files.isRegularFile(archive.resolve("manifest.properties"))) {
            throw new IllegalArgumentException(archive + " is not a partition archive (no manifest.properties in it)");
        }
        PartitionArchive.Manifest m = PartitionArchive.verify(archive);
        out.println("archive " + archive + ": " + m.table() + " [" + m.from() + " .. " + m.to() + "), " + m.rows()
                + " rows, sha256 " + m.sha256() + " verified");
        if (verifyOnly) {
            return 0;
        }
        String target = as != null ? as : m.partition() + "_restored";
        if (!target.matches("[a-z][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("--as must be a plain lower-case table name, was " + target);
        }
        String url = store.requireUrl();
        Properties p = new Properties();
        if (store.user != null) {
            p.setProperty("user", store.user);
        }
        String password = store.password();
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("ApplicationName", "datainsight-restore-archive");
        try (Connection c = DriverManager.getConnection(url, p)) {
            try (Statement st = c.createStatement()) {
                st.execute("SET ROLE " + PartitionMaintenance.OWNER_ROLE);
            }
            long n = PartitionArchive.restore(c, archive, target);
            out.println("restored " + n + " rows into " + target + " (a partition of " + m.table() + ")");
        }
        return 0;
    }
}
