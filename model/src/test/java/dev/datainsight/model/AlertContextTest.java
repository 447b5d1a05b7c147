package dev.datainsight.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The alert context's bounds, cleaning and wire compatibility. */
class AlertContextTest {
    private final WireCodec codec = new WireCodec();

    @Test
    void overTheItemBound_keepsNineItemsAndAMarkerCountingTheRest() {
        AlertContext c = AlertContext.create();
        for (int i = 0; i < 25; i++) {
            c.item("session").put("pid", Integer.toString(1000 + i));
        }
        List<AlertContextItem> b = c.bounded();
        assertEquals(AlertContext.MAX_ITEMS, b.size());
        assertEquals("1008", b.get(8).get("pid"));
        assertEquals(AlertContext.KIND_TRUNCATED, b.get(9).getKind());
        assertEquals("16", b.get(9).get("omitted_items"));
        assertEquals(b, AlertContext.bound(b), "bounding is idempotent");
    }

    @Test
    void exactlyTenItems_fitWithoutMarker() {
        AlertContext c = AlertContext.create();
        for (int i = 0; i < 10; i++) {
            c.item("table").put("relname", "t" + i);
        }
        List<AlertContextItem> b = c.bounded();
        assertEquals(10, b.size());
        assertEquals("t9", b.get(9).get("relname"));
    }

    @Test
    void longValuesAreCutWithEllipsis_andTheTotalStaysUnderFourKilobytes() {
        AlertContext c = AlertContext.create();
        for (int i = 0; i < 10; i++) {
            AlertContextItem it = c.item("statement");
            for (int f = 0; f < 15; f++) {
                it.put("f" + f, "é".repeat(500));
            }
        }
        List<AlertContextItem> b = c.bounded();
        int bytes = 0;
        for (AlertContextItem it : b) {
            assertTrue(it.getNames().size() <= AlertContext.MAX_FIELDS, it.toString());
            bytes += it.getKind().getBytes(StandardCharsets.UTF_8).length;
            for (int i = 0; i < it.getNames().size(); i++) {
                String v = it.getValues().get(i);
                assertTrue(v.codePointCount(0, v.length()) <= AlertContext.MAX_VALUE_CHARS, v);
                bytes += it.getNames().get(i).getBytes(StandardCharsets.UTF_8).length + v.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        assertTrue(bytes <= AlertContext.MAX_BYTES, "total " + bytes);
        assertTrue(b.get(0).get("f0").endsWith(AlertContext.ELLIPSIS));
        assertTrue(Integer.parseInt(b.get(0).get("omitted_fields")) > 0, "an item too big for the budget keeps its leading fields");
        AlertContextItem marker = b.get(b.size() - 1);
        assertEquals(AlertContext.KIND_TRUNCATED, marker.getKind());
        assertEquals(10 - (b.size() - 1), Integer.parseInt(marker.get("omitted_items")));
    }

    @Test
    void untrustedText_losesControlCharactersEscapesAndSecrets() {
        assertEquals("SELECT 1 FROM t WHERE a = $1", AlertContext.text("SELECT 1\n\tFROM t\r\n WHERE a = $1", 200));
        assertEquals("x [31mred", AlertContext.text("x\u001b[31mred", 200), "ESC removed, so no terminal escape");
        assertEquals("abc def", AlertContext.text("abc\u202e\u200b def", 200), "bidi override and zero-width removed");
        assertEquals("ALTER ROLE app PASSWORD ***", AlertContext.text("ALTER ROLE app PASSWORD 'hunter2'", 200));
        assertEquals("host=db password=*** user=x", AlertContext.text("host=db password=hunter2 user=x", 200));
        assertEquals("postgresql://app:***@db:5432/x", AlertContext.text("postgresql://app:hunter2@db:5432/x", 200));
        assertFalse(AlertContext.text("token: abc.def.ghi", 200).contains("abc"));
        assertEquals("abcd…", AlertContext.text("abcdefgh", 5));
    }

    @Test
    void namesAreReducedToIdentifierCharacters() {
        AlertContext c = AlertContext.create();
        c.item("Session!").put("Client Addr", "10.0.0.5").put("", "dropped").put("nulls", null);
        AlertContextItem it = c.bounded().get(0);
        assertEquals("session_", it.getKind());
        assertEquals(Map.of("client_addr", "10.0.0.5"), it.fields());
    }

    @Test
    void contextRoundTripsOnTheWire_inFieldOrder() {
        AlertEvent a = new AlertEvent();
        a.setFingerprint("f");
        a.setRule("slow_query");
        AlertContext c = AlertContext.create();
        c.item("statement").put("queryid", "42").put("text", "SELECT $1").put("mean", "3.2 s");
        a.setContext(c.bounded());
        a.setInstanceLabels(new java.util.LinkedHashMap<>(Map.of("team", "billing")));
        byte[] bytes = codec.encode(a);
        String json = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"context\":[{\"kind\":\"statement\",\"fields\":{\"queryid\":\"42\",\"text\":\"SELECT $1\","
                + "\"mean\":\"3.2 s\"}}]"), json);
        assertTrue(json.contains("\"instance_labels\":{\"team\":\"billing\"}"), json);
        DecodeResult<AlertEvent> r = codec.decodeAlert(bytes);
        assertTrue(r.isOk(), r.toString());
        assertEquals(a, r.value());
        assertEquals(List.of("queryid", "text", "mean"), r.value().getContext().get(0).getNames());
    }

    @Test
    void schemaOneEventWithoutContext_decodes_andUnknownSchemaIsRejected() {
        String v1 = "{\"schema\":1,\"fingerprint\":\"f\",\"rule\":\"slow_query\",\"severity\":\"warning\",\"status\":\"firing\","
                + "\"instance\":\"i\",\"labels\":{},\"value\":1.0,\"threshold\":0.5,\"started_at\":1,\"resolved_at\":null,"
                + "\"event_at\":2,\"summary\":\"s\",\"description\":null,\"runbook\":null}";
        DecodeResult<AlertEvent> r = codec.decodeAlert(v1.getBytes(StandardCharsets.UTF_8));
        assertTrue(r.isOk(), r.toString());
        assertEquals(1, r.value().getSchema());
        assertTrue(r.value().getContext().isEmpty());
        assertTrue(r.value().getInstanceLabels().isEmpty());
        DecodeResult<AlertEvent> v3 = codec.decodeAlert(v1.replace("\"schema\":1", "\"schema\":3").getBytes(StandardCharsets.UTF_8));
        assertEquals(RejectReason.UNKNOWN_SCHEMA_VERSION, v3.reason());
    }

    @Test
    void decodingBoundsAForeignProducersContext() {
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            items.append(i == 0 ? "" : ",").append("{\"kind\":\"session\",\"fields\":{\"query\":\"line\\nbreak ").append(i).append("\"}}");
        }
        String json = "{\"schema\":2,\"fingerprint\":\"f\",\"rule\":\"r\",\"context\":[" + items + "]}";
        AlertEvent a = codec.decodeAlert(json.getBytes(StandardCharsets.UTF_8)).value();
        assertEquals(10, a.getContext().size());
        assertEquals("line break 0", a.getContext().get(0).get("query"));
        assertEquals("21", a.getContext().get(9).get("omitted_items"));
    }
}
