package dev.datainsight.collector.logs;

import java.util.List;

/** A server's log directory, read through the server (agentless) or on this host (co-located). */
interface LogSource {
    /** The files of the directory (any order). */
    List<LogFile> list() throws Exception;

    /**
     * Up to {@code length} bytes of {@code name} from {@code offset}: fewer at the end of the
     * file, none past it or when the file is gone.
     */
    byte[] read(String name, long offset, int length) throws Exception;

    /** {@link dev.datainsight.model.LogBatch#SOURCE_AGENTLESS} or {@code SOURCE_LOCAL}. */
    String kind();
}
