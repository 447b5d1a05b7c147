package dev.datainsight.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One item of an alert's {@link AlertContext}: what it is about ({@code kind}: session, statement,
 * table, setting, ...) and its fields in display order. On the wire it is
 * {@code {"kind": "statement", "fields": {"queryid": "42", "text": "SELECT ..."}}}.
 *
 * <p>The fields are held as two parallel lists (names, values) rather than a map so that Flink's
 * POJO serializer keeps their order when the item travels between operators or sits in state
 * (its map serializer restores a HashMap); JSON sees one ordered object.
 */
public final class AlertContextItem {
    private String kind;
    private List<String> names = new ArrayList<>();
    private List<String> values = new ArrayList<>();

    public AlertContextItem() {}

    public AlertContextItem(String kind) {
        this.kind = kind;
    }

    public String getKind() {
        return kind;
    }

    public void setKind(String kind) {
        this.kind = kind;
    }

    /** Field names, in order (Flink's view; JSON uses {@link #fields()}). */
    @JsonIgnore
    public List<String> getNames() {
        return names;
    }

    @JsonIgnore
    public void setNames(List<String> names) {
        this.names = names;
    }

    /** Field values, parallel to {@link #getNames()}. */
    @JsonIgnore
    public List<String> getValues() {
        return values;
    }

    @JsonIgnore
    public void setValues(List<String> values) {
        this.values = values;
    }

    /** Adds (or replaces) a field, keeping the first position of a repeated name. */
    public AlertContextItem put(String name, String value) {
        int i = names.indexOf(name);
        if (i >= 0) {
            values.set(i, value);
        } else {
            names.add(name);
            values.add(value);
        }
        return this;
    }

    /** The value of a field, or null. */
    public String get(String name) {
        int i = names.indexOf(name);
        return i < 0 ? null : values.get(i);
    }

    /** The fields in order, as one JSON object on the wire. */
    @JsonProperty("fields")
    public Map<String, String> fields() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size() && i < values.size(); i++) {
            m.put(names.get(i), values.get(i));
        }
        return m;
    }

    @JsonProperty("fields")
    public void fields(Map<String, String> fields) {
        names = new ArrayList<>();
        values = new ArrayList<>();
        if (fields != null) {
            fields.forEach(this::put);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlertContextItem i && Objects.equals(kind, i.kind) && Objects.equals(fields(), i.fields());
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, fields());
    }

    @Override
    public String toString() {
        return kind + fields();
    }
}
