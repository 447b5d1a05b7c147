package dev.datainsight.model;

/** How a column's value behaves over time, which decides what the job does with it. */
public enum MetricKind {
    /** Cumulative since the view's last reset; the job turns it into a per-second rate. */
    COUNTER,
    /** A level at the time of collection (sizes, ages, session counts); passed through as is. */
    GAUGE
}
