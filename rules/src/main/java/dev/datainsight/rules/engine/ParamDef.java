package dev.datainsight.rules.engine;

import java.io.Serializable;
import java.util.Objects;

/**
 * One configurable parameter of a rule.
 *
 * @param name key in the rules file (snake_case)
 * @param type how the value is read
 * @param defaultValue the default, already in its stored form (Double, Long ms, Boolean, Severity);
 *     null means "off" and is only allowed for {@code nullable} parameters
 * @param nullable whether {@code null} (disabling that level) is accepted
 * @param doc one line for docs/rules.md
 */
public record ParamDef(String name, ParamType type, Object defaultValue, boolean nullable, String doc)
        implements Serializable {
    public ParamDef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
    }

    public static ParamDef number(String name, Double def, String doc) {
        return new ParamDef(name, ParamType.NUMBER, def, false, doc);
    }

    public static ParamDef optionalNumber(String name, Double def, String doc) {
        return new ParamDef(name, ParamType.NUMBER, def, true, doc);
    }

    public static ParamDef duration(String name, String def, String doc) {
        return new ParamDef(name, ParamType.DURATION, Durations.parseMillis(def), false, doc);
    }

    public static ParamDef bytes(String name, String def, String doc) {
        return new ParamDef(name, ParamType.BYTES, Durations.parseBytes(def), false, doc);
    }

    public static ParamDef optionalBytes(String name, String def, String doc) {
        return new ParamDef(name, ParamType.BYTES, def == null ? null : Durations.parseBytes(def), true, doc);
    }

    public static ParamDef bool(String name, boolean def, String doc) {
        return new ParamDef(name, ParamType.BOOLEAN, def, false, doc);
    }

    public static ParamDef severity(String name, dev.datainsight.model.Severity def, String doc) {
        return new ParamDef(name, ParamType.SEVERITY, def, false, doc);
    }

    /** The default as it is written in the rules file. */
    public String defaultText() {
        if (defaultValue == null) {
            return "null (off)";
        }
        return switch (type) {
            case DURATION -> Durations.format((Long) defaultValue);
            case BYTES -> Durations.formatBytes((Double) defaultValue);
            case SEVERITY -> ((dev.datainsight.model.Severity) defaultValue).wire();
            case NUMBER -> {
                double d = (Double) defaultValue;
                yield d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
            }
            default -> String.valueOf(defaultValue);
        };
    }
}
