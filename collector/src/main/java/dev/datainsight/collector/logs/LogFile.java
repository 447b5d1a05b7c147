package dev.datainsight.collector.logs;

/** One file of a log directory: name, size in bytes, last modification in epoch ms. */
record LogFile(String name, long size, long modifiedMillis) {}
