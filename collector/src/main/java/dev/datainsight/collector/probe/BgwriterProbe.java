package dev.datainsight.collector.probe;

import java.util.Map;

/**
 * {@code pg_stat_bgwriter}, background-writer columns only (the checkpoint columns of 13..16 go
 * to {@link CheckpointerProbe}). {@code buffers_backend} and {@code buffers_backend_fsync} were
 * removed in 17 (pg_stat_io has them): null there.
 */
public final class BgwriterProbe extends QueryProbe {

    public BgwriterProbe() {
        super("pg_stat_bgwriter", ProbeGroup.SLOW, SqlVariants.of("pg_stat_bgwriter", Map.of(
                130000, """
                        SELECT b.buffers_clean, b.maxwritten_clean, b.buffers_alloc, b.buffers_backend,
                          b.buffers_backend_fsync, b.stats_reset
                        FROM pg_catalog.pg_stat_bgwriter b""",
                170000, """
                        SELECT b.buffers_clean, b.maxwritten_clean, b.buffers_alloc, b.stats_reset
                        FROM pg_catalog.pg_stat_bgwriter b""")));
    }
}
