package dev.datainsight.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.util.ClassUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Binds a {@link YamlDocument} into typed objects (records, or classes with fields) with Jackson
 * data binding: snake_case keys, {@link Duration} and {@link DataSize} in the one syntax, enums by
 * name (any case), whole numbers, booleans. Every mistake is recorded in the document's
 * {@link Problems} with its place and a hint (the valid keys, the expected type) and binding goes
 * on, so one run reports them all; unknown keys are errors.
 */
public final class Binder {
    private static final String PROBLEMS = "datainsight.problems";

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
            .addModule(new SimpleModule("datainsight-config")
                    .addDeserializer(Duration.class, new DurationDeserializer())
                    .addDeserializer(DataSize.class, new DataSizeDeserializer()))
            .addHandler(new Handler())
            .build();

    private Binder() {}

    /**
     * Binds the document's tree into {@code type}. Returns null only when a mistake made the
     * whole object unreadable; check {@link Problems#hasErrors()} before using the result.
     */
    public static <T> T bind(YamlDocument doc, Class<T> type) {
        return bind(doc.root(), "", type, doc.problems());
    }

    /** Binds one subtree whose key path is {@code path}. */
    public static <T> T bind(JsonNode node, String path, Class<T> type, Problems problems) {
        try (JsonParser p = MAPPER.treeAsTokens(node)) {
            return MAPPER.readerFor(type).withAttribute(PROBLEMS, new Scope(problems, path)).readValue(p);
        } catch (JsonMappingException e) {
            problems.error(join(path, pathOf(e)), message(e), "");
            return null;
        } catch (IOException e) {
            problems.error(path, e.getMessage(), "");
            return null;
        }
    }

    private record Scope(Problems problems, String prefix) {
        void error(JsonParser p, String message, String hint) {
            problems.error(join(prefix, YamlDocument.path(p.getParsingContext())), message, hint);
        }
    }

    private static Scope scope(DeserializationContext ctxt) {
        return (Scope) ctxt.getAttribute(PROBLEMS);
    }

    private static String join(String a, String b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : b.startsWith("[") ? a + b : a + "." + b;
    }

    private static String pathOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String message(JsonMappingException e) {
        Throwable c = e.getCause();
        String m = c instanceof IllegalArgumentException && c.getMessage() != null ? c.getMessage() : e.getOriginalMessage();
        return m == null ? e.toString() : m.lines().findFirst().orElse(m);
    }

    /** The expected type in words, for hints. */
    static String expected(Class<?> type) {
        Class<?> t = type.isPrimitive() ? ClassUtil.wrapperType(type) : type;
        if (t.isEnum()) {
            return "one of " + Arrays.stream(t.getEnumConstants())
                    .map(c -> c.toString().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
        }
        if (t == Integer.class || t == Long.class || t == Short.class) {
            return "a whole number";
        }
        if (t == Double.class || t == Float.class) {
            return "a number";
        }
        if (t == Boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (t == Duration.class) {
            return DurationSyntax.HINT;
        }
        if (t == DataSize.class) {
            return DataSize.HINT;
        }
        if (Collection.class.isAssignableFrom(t)) {
            return "a list";
        }
        return "a mapping";
    }

    private static Object placeholder(Class<?> type) {
        return type.isPrimitive() ? ClassUtil.defaultValue(type) : null;
    }

    private static final class Handler extends DeserializationProblemHandler {
        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deser,
                Object beanOrClass, String propertyName) throws IOException {
            Scope s = scope(ctxt);
            TreeSet<String> known = new TreeSet<>();
            deser.getKnownPropertyNames().forEach(k -> known.add(String.valueOf(k)));
            String path = YamlDocument.path(p.getParsingContext());
            if (!path.endsWith(propertyName)) {
                path = YamlDocument.join(path, propertyName);
            }
            s.problems.error(join(s.prefix, path), "unknown key", "valid keys: " + String.join(", ", known));
            p.skipChildren();
            return true;
        }

        @Override
        public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String value,
                String failureMsg) throws IOException {
            scope(ctxt).error(ctxt.getParser(), "expected " + expected(targetType) + ", got '" + value + "'", "");
            return placeholder(targetType);
        }

        @Override
        public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number value,
                String failureMsg) throws IOException {
            scope(ctxt).error(ctxt.getParser(), "expected " + expected(targetType) + ", got " + value, "");
            return placeholder(targetType);
        }

        @Override
        public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t,
                JsonParser p, String failureMsg) throws IOException {
            String got = t == JsonToken.START_OBJECT ? "a mapping" : t == JsonToken.START_ARRAY ? "a list"
                    : t == JsonToken.VALUE_NULL ? "null" : "'" + p.getText() + "'";
            Scope s = scope(ctxt);
            String path = YamlDocument.path(t.isStructStart() && p.getParsingContext().getParent() != null
                    ? p.getParsingContext().getParent() : p.getParsingContext());
            s.problems.error(join(s.prefix, path), "expected " + expected(targetType.getRawClass()) + ", got " + got, "");
            p.skipChildren();
            return placeholder(targetType.getRawClass());
        }

        @Override
        public Object handleInstantiationProblem(DeserializationContext ctxt, Class<?> instClass, Object argument,
                Throwable t) throws IOException {
            Throwable c = t.getCause() != null && t instanceof java.lang.reflect.InvocationTargetException ? t.getCause() : t;
            scope(ctxt).error(ctxt.getParser(), String.valueOf(c.getMessage()), "");
            return null;
        }

        @Override
        public Object handleMissingInstantiator(DeserializationContext ctxt, Class<?> instClass,
                ValueInstantiator valueInsta, JsonParser p, String msg) throws IOException {
            scope(ctxt).error(p, "expected " + expected(instClass) + ", got '" + p.getText() + "'", "");
            p.skipChildren();
            return null;
        }
    }

    private static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            try {
                if (p.currentToken().isNumeric()) {
                    return DurationSyntax.ofSeconds(p.getDoubleValue());
                }
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    return DurationSyntax.parse(p.getText());
                }
                scope(ctxt).error(p, "expected " + DurationSyntax.HINT, "");
                p.skipChildren();
            } catch (IllegalArgumentException e) {
                scope(ctxt).error(p, e.getMessage(), "");
            }
            return null;
        }
    }

    private static final class DataSizeDeserializer extends JsonDeserializer<DataSize> {
        @Override
        public DataSize deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            try {
                if (p.currentToken().isNumeric()) {
                    return DataSize.ofBytes(p.getDoubleValue());
                }
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    return DataSize.parse(p.getText());
                }
                scope(ctxt).error(p, "expected " + DataSize.HINT, "");
                p.skipChildren();
            } catch (IllegalArgumentException e) {
                scope(ctxt).error(p, e.getMessage(), "");
            }
            return null;
        }
    }
}
