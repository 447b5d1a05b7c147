package dev.datainsight.rules.engine;

import dev.datainsight.config.DataSize;
import dev.datainsight.config.DurationSyntax;
import dev.datainsight.model.Severity;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * One configurable parameter of a rule, and the typed key its value is read with
 * ({@code p.get(FOR)}, {@code p.number(WARNING)}). Values are read from the rules file with the
 * shared syntax of docs/configuration.md.
 *
 * @param <T> the stored type: {@link Double} (numbers, and sizes in bytes), {@link Duration},
 *     {@link Boolean}, {@link Severity} or a {@code List<String>}
 * @param name key in the rules file (snake_case)
 * @param type how the value is read
 * @param defaultValue the default; null means "off" and is only allowed for {@code nullable} parameters
 * @param nullable whether {@code null} (disabling that level) is accepted
 * @param doc one line for docs/rules.md
 */
public record ParamDef<T>(String name, ParamType type, T defaultValue, boolean nullable, String doc)
        implements Serializable {
    public ParamDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
    }

    public static ParamDef<Double> number(String name, Double def, String doc) {
        return new ParamDef<>(name, ParamType.NUMBER, def, false, doc);
    }

    public static ParamDef<Double> optionalNumber(String name, Double def, String doc) {
        return new ParamDef<>(name, ParamType.NUMBER, def, true, doc);
    }

    public static ParamDef<Duration> duration(String name, String def, String doc) {
        return new ParamDef<>(name, ParamType.DURATION, DurationSyntax.parse(def), false, doc);
    }

    public static ParamDef<Double> bytes(String name, String def, String doc) {
        return new ParamDef<>(name, ParamType.BYTES, (double) DataSize.parse(def).bytes(), false, doc);
    }

    public static ParamDef<Double> optionalBytes(String name, String def, String doc) {
        return new ParamDef<>(name, ParamType.BYTES, def == null ? null : (double) DataSize.parse(def).bytes(), true, doc);
    }

    public static ParamDef<Boolean> bool(String name, boolean def, String doc) {
        return new ParamDef<>(name, ParamType.BOOLEAN, def, false, doc);
    }

    public static ParamDef<java.util.List<String>> list(String name, java.util.List<String> def, String doc) {
        return new ParamDef<>(name, ParamType.LIST, java.util.List.copyOf(def), false, doc);
    }

    public static ParamDef<Severity> severity(String name, Severity def, String doc) {
        return new ParamDef<>(name, ParamType.SEVERITY, def, false, doc);
    }

    /** The default as it is written in the rules file. */
    public String defaultText() {
        if (defaultValue == null) {
            return "null (off)";
        }
        return switch (type) {
            case DURATION -> DurationSyntax.format((Duration) defaultValue);
            case BYTES -> DataSize.format((Double) defaultValue);
            case SEVERITY -> ((Severity) defaultValue).wire();
            case LIST -> {
                java.util.List<String> names = new java.util.ArrayList<>();
                for (Object o : (java.util.List<?>) defaultValue) {
                    names.add(String.valueOf(o));
                }
                yield "[" + String.join(", ", names) + "]";
            }
            case NUMBER -> {
                double d = (Double) defaultValue;
                yield d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
            }
            default -> String.valueOf(defaultValue);
        };
    }
}
