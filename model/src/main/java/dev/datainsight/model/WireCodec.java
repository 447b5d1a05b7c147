package dev.datainsight.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON codec of the wire format. Encoding is strict and fast (a streaming generator); decoding
 * of snapshots validates everything a producer can get wrong and never throws: it returns a
 * {@link DecodeResult} with a {@link RejectReason} and a detail that names the field.
 *
 * <p>Instances are immutable and thread-safe; the class is serializable so a Flink function can
 * hold one.
 */
public final class WireCodec implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final JsonFactory FACTORY = MAPPER.getFactory();

    private final int maxRecordBytes;

    public WireCodec() {
        this(WireFormat.DEFAULT_MAX_RECORD_BYTES);
    }

    /** @param maxRecordBytes records larger than this are rejected as {@code oversized} */
    public WireCodec(int maxRecordBytes) {
        if (maxRecordBytes <= 0) {
            throw new IllegalArgumentException("maxRecordBytes must be positive, got " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The shared, configured mapper (snake_case) for tools that read alerts or dead letters. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes a snapshot as one JSON object. */
    public byte[] encode(Snapshot s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 64 * s.getRows().size());
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("schema", s.getSchema());
            g.writeStringField("kind", s.kind().wireName());
            g.writeStringField("instance", s.getInstance());
            g.writeNumberField("server_version_num", s.getServerVersionNum());
            g.writeNumberField("collected_at", s.getCollectedAt());
            g.writeStringField("view", s.getView());
            writeNullableLong(g, "stats_reset", s.getStatsReset());
            writeStringMap(g, "labels", s.getLabels());
            if (s instanceof StatementsSnapshot st) {
                g.writeStringField("extension_version", st.getExtensionVersion());
                g.writeArrayFieldStart("texts");
                for (QueryText t : st.getTexts()) {
                    g.writeStartObject();
                    g.writeStringField("queryid", t.queryid());
                    g.writeStringField("text", t.text());
                    g.writeBooleanField("truncated", t.truncated());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            if (s instanceof PlansSnapshot ps) {
                g.writeStringField("status", ps.getStatus());
                g.writeArrayFieldStart("plans");
                for (QueryPlan p : ps.getPlans()) {
                    g.writeStartObject();
                    g.writeStringField("queryid", p.queryid());
                    g.writeStringField("datname", p.datname());
                    g.writeStringField("rolname", p.rolname());
                    g.writeStringField("status", p.status());
                    g.writeStringField("detail", p.detail());
                    g.writeStringField("fingerprint", p.fingerprint());
                    g.writeStringField("summary", p.summary());
                    g.writeStringField("plan", p.plan());
                    g.writeBooleanField("truncated", p.truncated());
                    g.writeNumberField("plan_bytes", p.planBytes());
                    if (p.totalCost() == null) {
                        g.writeNullField("total_cost");
                    } else {
                        g.writeNumberField("total_cost", p.totalCost());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeArrayFieldStart("rows");
            for (SnapshotRow r : s.getRows()) {
                g.writeStartObject();
                writeStringMap(g, "labels", r.getLabels());
                g.writeObjectFieldStart("values");
                for (Map.Entry<String, Double> e : r.getValues().entrySet()) {
                    Double d = e.getValue();
                    if (d == null) {
                        g.writeNullField(e.getKey());
                    } else if (d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                        g.writeNumberField(e.getKey(), d.longValue());
                    } else {
                        g.writeNumberField(e.getKey(), d);
                    }
                }
                g.writeEndObject();
                if (r.getStatsReset() != null) {
                    g.writeNumberField("stats_reset", r.getStatsReset());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding snapshot of " + s.getInstance(), e);
        }
        return out.toByteArray();
    }

    /** Encodes an alert event. */
    public byte[] encode(AlertEvent a) {
        return writeValue(a);
    }

    /** Encodes a dead-letter record. */
    public byte[] encode(DeadLetterRecord d) {
        return writeValue(d);
    }

    private static byte[] writeValue(Object o) {
        try {
            return MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeNullableLong(JsonGenerator g, String field, Long v) throws IOException {
        if (v == null) {
            g.writeNullField(field);
        } else {
            g.writeNumberField(field, v);
        }
    }

    private static void writeStringMap(JsonGenerator g, String field, Map<String, String> m) throws IOException {
        g.writeObjectFieldStart(field);
        if (m != null) {
            for (Map.Entry<String, String> e : m.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
        }
        g.writeEndObject();
    }

    // ---------------------------------------------------------------- decoding

    /** Decodes and validates a snapshot of either kind. Never throws. */
    public DecodeResult<Snapshot> decodeSnapshot(byte[] bytes) {
        try {
            return decodeSnapshotUnchecked(bytes);
        } catch (Rejection r) {
            return DecodeResult.error(r.reason, r.getMessage(), r.instance);
        } catch (RuntimeException e) {
            // Defensive: any parser surprise is still a rejection, never an escaping exception.
            return DecodeResult.error(RejectReason.WRONG_SHAPE, "unreadable record: " + e, null);
        }
    }

    private DecodeResult<Snapshot> decodeSnapshotUnchecked(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new Rejection(RejectReason.NOT_JSON, "empty record", null);
        }
        if (bytes.length > maxRecordBytes) {
            throw new Rejection(RejectReason.OVERSIZED,
                    "record of " + bytes.length + " bytes exceeds the bound of " + maxRecordBytes + " bytes", null);
        }
        JsonNode root;
        try (JsonParser p = FACTORY.createParser(bytes)) {
            root = MAPPER.readTree(p);
            if (root != null && p.nextToken() != null) {
                throw new Rejection(RejectReason.NOT_JSON, "trailing data after the JSON object", null);
            }
        } catch (IOException e) {
            throw new Rejection(RejectReason.NOT_JSON, "not JSON: " + firstLine(e.getMessage()), null);
        }
        if (root == null || root.isMissingNode()) {
            throw new Rejection(RejectReason.NOT_JSON, "empty record", null);
        }
        if (!root.isObject()) {
            throw new Rejection(RejectReason.WRONG_SHAPE, "expected a JSON object, got " + root.getNodeType(), null);
        }
        String instance = root.path("instance").isTextual() ? root.get("instance").asText() : null;

        JsonNode schemaNode = required(root, "schema", instance);
        if (!schemaNode.isIntegralNumber()) {
            throw new Rejection(RejectReason.WRONG_TYPE, "schema must be an integer, got " + schemaNode.getNodeType(), instance);
        }
        if (schemaNode.asLong() != WireFormat.SCHEMA_VERSION) {
            throw new Rejection(RejectReason.UNKNOWN_SCHEMA_VERSION, "schema " + schemaNode.asText()
                    + " is not supported (this build reads schema " + WireFormat.SCHEMA_VERSION + ")", instance);
        }
        String kindText = text(root, "kind", instance);
        SnapshotKind kind = SnapshotKind.fromWire(kindText);
        if (kind == null) {
            throw new Rejection(RejectReason.WRONG_SHAPE, "kind must be 'metrics' or 'statements', got '" + kindText + "'", instance);
        }
        if (kind == SnapshotKind.PLANS) {
            // Plans travel on their own topic; a snapshot reader that gets one was pointed at it by mistake.
            throw new Rejection(RejectReason.WRONG_SHAPE, "kind 'plans' is not a metrics or statements snapshot"
                    + " (plans snapshots belong on topic " + WireFormat.TOPIC_PLANS + ", read with decodePlans)", instance);
        }
        instance = text(root, "instance", instance);
        if (instance.isBlank()) {
            throw new Rejection(RejectReason.MISSING_FIELD, "instance is blank", null);
        }
        long serverVersion = integral(root, "server_version_num", instance);
        if (!WireFormat.validServerVersion(serverVersion)) {
            throw new Rejection(RejectReason.OUT_OF_DOMAIN, "server_version_num " + serverVersion + " is not a PostgreSQL version number", instance);
        }
        long collectedAt = integral(root, "collected_at", instance);
        if (!WireFormat.validCollectedAt(collectedAt)) {
            throw new Rejection(RejectReason.OUT_OF_DOMAIN, "collected_at must be epoch milliseconds, got " + collectedAt, instance);
        }
        String viewName = text(root, "view", instance);
        ViewDef view = MetricCatalog.view(viewName);
        if (view == null) {
            throw new Rejection(RejectReason.UNKNOWN_VIEW, "view '" + viewName + "' is not in the catalog", instance);
        }
        if (view.kind() != kind) {
            throw new Rejection(RejectReason.WRONG_SHAPE, "view '" + viewName + "' belongs in a " + view.kind().wireName()
                    + " snapshot, not " + kind.wireName(), instance);
        }

        Snapshot s = kind == SnapshotKind.METRICS ? new MetricsSnapshot() : new StatementsSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum((int) serverVersion);
        s.setCollectedAt(collectedAt);
        s.setView(viewName);
        s.setStatsReset(optionalLong(root, "stats_reset", instance));
        s.setLabels(stringMap(root.get("labels"), "labels", instance));

        if (s instanceof StatementsSnapshot st) {
            JsonNode ev = root.get("extension_version");
            if (ev != null && !ev.isNull()) {
                if (!ev.isTextual()) {
                    throw new Rejection(RejectReason.WRONG_TYPE, "extension_version must be a string", instance);
                }
                st.setExtensionVersion(ev.asText());
            }
            JsonNode texts = root.get("texts");
            if (texts != null && !texts.isNull()) {
                if (!texts.isArray()) {
                    throw new Rejection(RejectReason.WRONG_TYPE, "texts must be an array", instance);
                }
                List<QueryText> list = new ArrayList<>(texts.size());
                for (JsonNode t : texts) {
                    if (!t.isObject()) {
                        throw new Rejection(RejectReason.WRONG_SHAPE, "texts[] entries must be objects", instance);
                    }
                    list.add(new QueryText(text(t, "queryid", instance), text(t, "text", instance),
                            t.path("truncated").asBoolean(false)));
                }
                st.setTexts(list);
            }
        }

        JsonNode rows = required(root, "rows", instance);
        if (!rows.isArray()) {
            throw new Rejection(RejectReason.WRONG_TYPE, "rows must be an array, got " + rows.getNodeType(), instance);
        }
        List<SnapshotRow> out = new ArrayList<>(rows.size());
        int i = 0;
        for (JsonNode row : rows) {
            out.add(row(row, i++, view, instance));
        }
        s.setRows(out);
        return DecodeResult.ok(s);
    }

    private static SnapshotRow row(JsonNode row, int index, ViewDef view, String instance) {
        String where = "rows[" + index + "]";
        if (!row.isObject()) {
            throw new Rejection(RejectReason.WRONG_SHAPE, where + " must be an object, got " + row.getNodeType(), instance);
        }
        Map<String, String> labels = stringMap(row.get("labels"), where + ".labels", instance);
        JsonNode values = row.get("values");
        if (values == null || values.isNull()) {
            throw new Rejection(RejectReason.MISSING_FIELD, where + ".values is missing", instance);
        }
        if (!values.isObject()) {
            throw new Rejection(RejectReason.WRONG_TYPE, where + ".values must be an object", instance);
        }
        Map<String, Double> vals = new LinkedHashMap<>(values.size() * 2);
        Iterator<Map.Entry<String, JsonNode>> it = values.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            String field = where + ".values." + e.getKey();
            if (v.isNull()) {
                vals.put(e.getKey(), null);
                continue;
            }
            if (!v.isNumber()) {
                throw new Rejection(RejectReason.WRONG_TYPE, field + " must be a number or null, got " + v.getNodeType(), instance);
            }
            double d = v.asDouble();
            if (!Double.isFinite(d)) {
                throw new Rejection(RejectReason.NON_FINITE, field + " is " + d, instance);
            }
            Column c = view.column(e.getKey());
            if (c != null && c.isCounter() && d < 0) {
                throw new Rejection(RejectReason.NEGATIVE_COUNTER, field + " is a counter and cannot be negative, got " + v.asText(), instance);
            }
            vals.put(e.getKey(), d);
        }
        return new SnapshotRow(labels, vals, optionalLong(row, "stats_reset", instance));
    }

    /**
     * Decodes and validates a plans snapshot ({@code kind = "plans"}, topic
     * {@value WireFormat#TOPIC_PLANS}). Never throws.
     */
    public DecodeResult<PlansSnapshot> decodePlans(byte[] bytes) {
        try {
            return DecodeResult.ok(decodePlansUnchecked(bytes));
        } catch (Rejection r) {
            return DecodeResult.error(r.reason, r.getMessage(), r.instance);
        } catch (RuntimeException e) {
            return DecodeResult.error(RejectReason.WRONG_SHAPE, "unreadable record: " + e, null);
        }
    }

    private PlansSnapshot decodePlansUnchecked(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new Rejection(RejectReason.NOT_JSON, "empty record", null);
        }
        if (bytes.length > maxRecordBytes) {
            throw new Rejection(RejectReason.OVERSIZED,
                    "record of " + bytes.length + " bytes exceeds the bound of " + maxRecordBytes + " bytes", null);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new Rejection(RejectReason.NOT_JSON, "not JSON: " + firstLine(e.getMessage()), null);
        }
        if (root == null || !root.isObject()) {
            throw new Rejection(RejectReason.WRONG_SHAPE, "expected a JSON object", null);
        }
        String instance = root.path("instance").isTextual() ? root.get("instance").asText() : null;
        if (integral(root, "schema", instance) != WireFormat.SCHEMA_VERSION) {
            throw new Rejection(RejectReason.UNKNOWN_SCHEMA_VERSION, "schema " + root.get("schema")
                    + " is not supported (this build reads schema " + WireFormat.SCHEMA_VERSION + ")", instance);
        }
        String kind = text(root, "kind", instance);
        if (!SnapshotKind.PLANS.wireName().equals(kind)) {
            throw new Rejection(RejectReason.WRONG_SHAPE, "kind must be 'plans', got '" + kind + "'", instance);
        }
        instance = text(root, "instance", instance);
        if (instance.isBlank()) {
            throw new Rejection(RejectReason.MISSING_FIELD, "instance is blank", null);
        }
        long serverVersion = integral(root, "server_version_num", instance);
        if (!WireFormat.validServerVersion(serverVersion)) {
            throw new Rejection(RejectReason.OUT_OF_DOMAIN, "server_version_num " + serverVersion + " is not a PostgreSQL version number", instance);
        }
        long collectedAt = integral(root, "collected_at", instance);
        if (!WireFormat.validCollectedAt(collectedAt)) {
            throw new Rejection(RejectReason.OUT_OF_DOMAIN, "collected_at must be epoch milliseconds, got " + collectedAt, instance);
        }
        PlansSnapshot s = new PlansSnapshot();
        s.setInstance(instance);
        s.setServerVersionNum((int) serverVersion);
        s.setCollectedAt(collectedAt);
        s.setView(text(root, "view", instance));
        s.setLabels(stringMap(root.get("labels"), "labels", instance));
        s.setStatus(optionalText(root, "status", instance));
        JsonNode plans = root.get("plans");
        if (plans != null && !plans.isNull()) {
            if (!plans.isArray()) {
                throw new Rejection(RejectReason.WRONG_TYPE, "plans must be an array", instance);
            }
            int i = 0;
            for (JsonNode p : plans) {
                String where = "plans[" + i++ + "]";
                if (!p.isObject()) {
                    throw new Rejection(RejectReason.WRONG_SHAPE, where + " must be an object", instance);
                }
                JsonNode cost = p.get("total_cost");
                if (cost != null && !cost.isNull() && !cost.isNumber()) {
                    throw new Rejection(RejectReason.WRONG_TYPE, where + ".total_cost must be a number or null", instance);
                }
                s.getPlans().add(new QueryPlan(text(p, "queryid", instance), optionalText(p, "datname", instance),
                        optionalText(p, "rolname", instance), text(p, "status", instance), optionalText(p, "detail", instance),
                        optionalText(p, "fingerprint", instance), optionalText(p, "summary", instance),
                        optionalText(p, "plan", instance), p.path("truncated").asBoolean(false),
                        p.path("plan_bytes").asInt(0), cost == null || cost.isNull() ? null : cost.asDouble()));
            }
        }
        return s;
    }

    private static String optionalText(JsonNode obj, String field, String instance) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new Rejection(RejectReason.WRONG_TYPE, field + " must be a string or null, got " + n.getNodeType(), instance);
        }
        return n.asText();
    }

    /**
     * Decodes an alert event of schema 1 or {@value WireFormat#ALERT_SCHEMA_VERSION} (a schema-1
     * event has an empty context and no instance labels). The context is bounded and cleaned again
     * ({@link AlertContext#bound}), so a reader never trusts the producer for it. Never throws.
     */
    public DecodeResult<AlertEvent> decodeAlert(byte[] bytes) {
        DecodeResult<AlertEvent> r = decodeWith(bytes, AlertEvent.class);
        if (!r.isOk()) {
            return r;
        }
        AlertEvent a = r.value();
        if (a.getSchema() < 1 || a.getSchema() > WireFormat.ALERT_SCHEMA_VERSION) {
            return DecodeResult.error(RejectReason.UNKNOWN_SCHEMA_VERSION, "alert schema " + a.getSchema()
                    + " is not supported (this build reads 1.." + WireFormat.ALERT_SCHEMA_VERSION + ")", a.getInstance());
        }
        a.setContext(AlertContext.bound(a.getContext()));
        return r;
    }

    /** Decodes a dead-letter record. Never throws. */
    public DecodeResult<DeadLetterRecord> decodeDeadLetter(byte[] bytes) {
        return decodeWith(bytes, DeadLetterRecord.class);
    }

    private <T> DecodeResult<T> decodeWith(byte[] bytes, Class<T> type) {
        if (bytes == null || bytes.length == 0) {
            return DecodeResult.error(RejectReason.NOT_JSON, "empty record", null);
        }
        if (bytes.length > maxRecordBytes) {
            return DecodeResult.error(RejectReason.OVERSIZED, "record of " + bytes.length + " bytes exceeds " + maxRecordBytes, null);
        }
        try {
            T v = MAPPER.readValue(bytes, type);
            if (v == null) {
                return DecodeResult.error(RejectReason.NOT_JSON, "null record", null);
            }
            return DecodeResult.ok(v);
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            return DecodeResult.error(RejectReason.NOT_JSON, "not JSON: " + firstLine(e.getOriginalMessage()), null);
        } catch (IOException | RuntimeException e) {
            return DecodeResult.error(RejectReason.WRONG_SHAPE, "not a " + type.getSimpleName() + ": " + firstLine(e.getMessage()), null);
        }
    }

    // ---------------------------------------------------------------- dead letters

    /**
     * Builds a dead-letter record for rejected bytes, keeping the original payload (as text when
     * it is valid UTF-8, otherwise base64).
     */
    public static DeadLetterRecord deadLetter(byte[] payload, RejectReason reason, String detail, String instance,
            String topic, Integer partition, Long offset, Long recordTimestamp, long now) {
        DeadLetterRecord d = new DeadLetterRecord();
        d.setReason(reason.code());
        d.setDetail(detail);
        d.setInstance(instance);
        d.setSourceTopic(topic);
        d.setPartition(partition);
        d.setOffset(offset);
        d.setRecordTimestamp(recordTimestamp);
        d.setFailedAt(now);
        if (payload != null) {
            String text = utf8OrNull(payload);
            if (text != null) {
                d.setPayload(text);
            } else {
                d.setPayloadBase64(Base64.getEncoder().encodeToString(payload));
            }
        }
        return d;
    }

    private static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode required(JsonNode obj, String field, String instance) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            throw new Rejection(RejectReason.MISSING_FIELD, field + " is missing", instance);
        }
        return n;
    }

    private static String text(JsonNode obj, String field, String instance) {
        JsonNode n = required(obj, field, instance);
        if (!n.isTextual()) {
            throw new Rejection(RejectReason.WRONG_TYPE, field + " must be a string, got " + n.getNodeType(), instance);
        }
        return n.asText();
    }

    private static long integral(JsonNode obj, String field, String instance) {
        JsonNode n = required(obj, field, instance);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new Rejection(RejectReason.WRONG_TYPE, field + " must be an integer, got " + n.getNodeType() + " " + n, instance);
        }
        return n.asLong();
    }

    private static Long optionalLong(JsonNode obj, String field, String instance) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new Rejection(RejectReason.WRONG_TYPE, field + " must be an integer (epoch ms) or null, got " + n.getNodeType(), instance);
        }
        return n.asLong();
    }

    private static Map<String, String> stringMap(JsonNode n, String field, String instance) {
        Map<String, String> m = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return m;
        }
        if (!n.isObject()) {
            throw new Rejection(RejectReason.WRONG_TYPE, field + " must be an object of strings", instance);
        }
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isNull()) {
                m.put(e.getKey(), null);
            } else if (v.isTextual()) {
                m.put(e.getKey(), v.asText());
            } else {
                throw new Rejection(RejectReason.WRONG_TYPE, field + "." + e.getKey() + " must be a string, got " + v.getNodeType(), instance);
            }
        }
        return m;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Internal control flow for validation failures; never escapes the codec. */
    private static final class Rejection extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final RejectReason reason;
        final String instance;

        Rejection(RejectReason reason, String detail, String instance) {
            super(detail, null, false, false);
            this.reason = reason;
            this.instance = instance;
        }
    }
}
