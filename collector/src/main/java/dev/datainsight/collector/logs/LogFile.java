package dev.datainsight.collector.logs;

/**
 * One file of a log directory: name, size in bytes, last modification in epoch ms, and its
 * identity on the file system ({@code BasicFileAttributes.fileKey()}: device and inode) when the
 * source knows it (co-located), else null. The identity lets the tailer follow a file renamed
 * by logrotate and tell a new file from an old one under the same name.
 */
record LogFile(String name, long size, long modifiedMillis, Object key) {
    LogFile(String name, long size, long modifiedMillis) {
        this(name, size, modifiedMillis, null);
    }
}
