package dev.datainsight.model;

/**
 * Normalised text of one query id, sent once when the collector first sees the id.
 *
 * @param queryid pg_stat_statements queryid as a decimal string
 * @param text normalised query text, cut to the collector's bound
 * @param truncated whether the text was cut
 */
public record QueryText(String queryid, String text, boolean truncated) {}
