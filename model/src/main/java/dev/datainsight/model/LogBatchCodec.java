package dev.datainsight.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON codec of {@link LogBatch} (topic {@code datainsight.logs}). Encoding writes every field of
 * an entry, null ones included, so the shape is fixed; decoding checks the schema and the
 * required fields and never throws: it returns a {@link DecodeResult}.
 */
public final class LogBatchCodec implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final JsonFactory FACTORY = WireCodec.mapper().getFactory();

    /** Encodes one batch as one JSON object. */
    public byte[] encode(LogBatch b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512 + 256 * b.entries().size());
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("schema", b.schema());
            g.writeStringField("kind", "logs");
            g.writeStringField("instance", b.instance());
            g.writeNumberField("server_version_num", b.serverVersionNum());
            g.writeNumberField("collected_at", b.collectedAt());
            g.writeStringField("source", b.source());
            g.writeStringField("file", b.file());
            g.writeStringField("format", b.format());
            g.writeNumberField("first_offset", b.firstOffset());
            g.writeNumberField("end_offset", b.endOffset());
            g.writeBooleanField("statement_text", b.statementText());
            g.writeArrayFieldStart("entries");
            for (LogBatch.Entry e : b.entries()) {
                g.writeStartObject();
                g.writeNumberField("offset", e.offset());
                g.writeNumberField("end_offset", e.endOffset());
                g.writeBooleanField("unparsed", e.unparsed());
                g.writeBooleanField("truncated", e.truncated());
                number(g, "timestamp", e.timestamp());
                g.writeStringField("timestamp_text", e.timestampText());
                g.writeStringField("severity", e.severity());
                g.writeStringField("sqlstate", e.sqlstate());
                number(g, "pid", e.pid() == null ? null : e.pid().longValue());
                g.writeStringField("user", e.user());
                g.writeStringField("database", e.database());
                g.writeStringField("application", e.application());
                g.writeStringField("client", e.client());
                g.writeStringField("session_id", e.sessionId());
                number(g, "line_number", e.lineNumber());
                g.writeStringField("vxid", e.vxid());
                g.writeStringField("xid", e.xid());
                g.writeStringField("backend_type", e.backendType());
                g.writeStringField("query_id", e.queryId());
                number(g, "leader_pid", e.leaderPid() == null ? null : e.leaderPid().longValue());
                g.writeStringField("message", e.message());
                g.writeStringField("detail", e.detail());
                g.writeStringField("hint", e.hint());
                g.writeStringField("context", e.context());
                g.writeStringField("statement", e.statement());
                g.writeStringField("internal_query", e.internalQuery());
                g.writeStringField("raw", e.raw());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void number(JsonGenerator g, String name, Long v) throws IOException {
        if (v == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, v);
        }
    }

    /** Decodes one batch; a record of another schema or shape is rejected with the field named. */
    public DecodeResult<LogBatch> decode(byte[] bytes) {
        JsonNode n;
        try {
            n = WireCodec.mapper().readTree(bytes);
        } catch (IOException e) {
            return DecodeResult.error(RejectReason.NOT_JSON, e.getMessage(), null);
        }
        if (n == null || !n.isObject()) {
            return DecodeResult.error(RejectReason.WRONG_SHAPE, "not a JSON object", null);
        }
        if (!n.path("schema").isInt() || n.get("schema").intValue() != LogBatch.SCHEMA_VERSION) {
            return DecodeResult.error(RejectReason.UNKNOWN_SCHEMA_VERSION, "schema " + n.path("schema"), null);
        }
        if (!"logs".equals(n.path("kind").asText())) {
            return DecodeResult.error(RejectReason.WRONG_SHAPE, "kind '" + n.path("kind").asText() + "' is not 'logs'", null);
        }
        for (String f : List.of("instance", "file", "format", "source")) {
            if (!n.path(f).isTextual()) {
                return DecodeResult.error(RejectReason.MISSING_FIELD, f, null);
            }
        }
        if (!n.path("entries").isArray()) {
            return DecodeResult.error(RejectReason.MISSING_FIELD, "entries", null);
        }
        List<LogBatch.Entry> entries = new ArrayList<>();
        for (JsonNode e : n.get("entries")) {
            if (!e.path("offset").canConvertToLong() || !e.path("end_offset").canConvertToLong()) {
                return DecodeResult.error(RejectReason.MISSING_FIELD, "entries[].offset", null);
            }
            entries.add(new LogBatch.Entry(e.get("offset").longValue(), e.get("end_offset").longValue(),
                    e.path("unparsed").asBoolean(), e.path("truncated").asBoolean(), lng(e, "timestamp"),
                    str(e, "timestamp_text"), str(e, "severity"), str(e, "sqlstate"), integer(e, "pid"), str(e, "user"),
                    str(e, "database"), str(e, "application"), str(e, "client"), str(e, "session_id"),
                    lng(e, "line_number"), str(e, "vxid"), str(e, "xid"), str(e, "backend_type"), str(e, "query_id"),
                    integer(e, "leader_pid"), str(e, "message"), str(e, "detail"), str(e, "hint"), str(e, "context"),
                    str(e, "statement"), str(e, "internal_query"), str(e, "raw")));
        }
        return DecodeResult.ok(new LogBatch(LogBatch.SCHEMA_VERSION, n.get("instance").asText(),
                n.path("server_version_num").asInt(), n.path("collected_at").asLong(), n.get("source").asText(),
                n.get("file").asText(), n.get("format").asText(), n.path("first_offset").asLong(),
                n.path("end_offset").asLong(), n.path("statement_text").asBoolean(true), entries));
    }

    private static String str(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Long lng(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asLong();
    }

    private static Integer integer(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asInt();
    }
}
