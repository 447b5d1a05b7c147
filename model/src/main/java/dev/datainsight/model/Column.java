package dev.datainsight.model;

import java.util.Objects;

/**
 * One column of a catalog view as it travels on the wire.
 *
 * @param name normalised (PostgreSQL 17+) column name
 * @param kind counter or gauge
 * @param unit unit of the raw value ({@code count}, {@code bytes}, {@code ms}, {@code seconds},
 *     {@code ratio}, {@code blocks}, {@code bool}, {@code epoch_seconds}, ...)
 */
public record Column(String name, MetricKind kind, String unit) {
    public Column {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(unit, "unit");
    }

    public static Column counter(String name, String unit) {
        return new Column(name, MetricKind.COUNTER, unit);
    }

    public static Column gauge(String name, String unit) {
        return new Column(name, MetricKind.GAUGE, unit);
    }

    public boolean isCounter() {
        return kind == MetricKind.COUNTER;
    }
}
