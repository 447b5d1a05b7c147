package dev.datainsight.jobs.sinks;

import dev.datainsight.store.StoreWriter;
import java.io.Serializable;

/** Opens a {@link StoreWriter} on a task manager; serializable so a sink can carry it. */
@FunctionalInterface
public interface StoreWriterFactory extends Serializable {
    StoreWriter open() throws Exception;
}
