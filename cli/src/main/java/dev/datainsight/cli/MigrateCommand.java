package dev.datainsight.cli;

import dev.datainsight.store.Migrations;
import dev.datainsight.store.PartitionMaintenance;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code datainsight migrate}: applies the store's migrations (Flyway, plain SQL in
 * sql/src/main/resources/db/migration), then creates the partitions the defaults ask for.
 * Running it again is a no-op.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Create or upgrade the store schema (tables, partitions, roles, views). Re-running is a no-op.",
            "Run as an owner login (a member of datainsight_owner, which ends up owning every table); it creates the",
            "NOLOGIN roles datainsight_owner, datainsight_writer and datainsight_reader when missing (needs CREATEROLE",
            "once per server). See docs/schema.md#roles."})
public final class MigrateCommand implements Callable<Integer> {

    @Mixin
    StoreOptions store;

    @Option(names = "--maintain", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also create partitions ahead and apply retention with the defaults (default on).")
    boolean maintain;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String url = store.requireUrl();
        var out = spec.commandLine().getOut();
        Migrations.Result r = Migrations.migrate(url, store.user, store.password());
        if (r.applied().isEmpty()) {
            out.println("schema is up to date at version " + r.schemaVersion());
        } else {
            for (String m : r.applied()) {
                out.println("applied " + m);
            }
            out.println("schema now at version " + r.schemaVersion());
        }
        if (maintain) {
            for (String line : new PartitionMaintenance(url, store.user, store.password()).run().lines()) {
                out.println(line);
            }
        }
        return 0;
    }
}
