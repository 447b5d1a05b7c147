package dev.datainsight.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Binding records from YAML: every mistake of a file in one run, each with line, column, path and a hint. */
class BinderTest {
    enum Mode { FAST, SAFE }

    record Inner(Duration every, DataSize limit) {}

    record Top(String name, Integer count, Boolean on, Mode mode, Inner inner, List<Inner> items,
            Map<String, String> labels) {}

    @Test
    void goodFileBindsTyped() {
        YamlDocument d = YamlDocument.parse("""
                name: x
                count: 3
                on: true
                mode: SAFE
                inner: {every: 1.5m, limit: 100MB}
                items:
                  - {every: 30, limit: 1024}
                labels: {a: b}
                """, "t.yaml", null);
        Top t = Binder.bind(d, Top.class);
        assertTrue(d.problems().errors().isEmpty(), d.problems().errors().toString());
        assertEquals(Mode.SAFE, t.mode());
        assertEquals(Duration.ofSeconds(90), t.inner().every());
        assertEquals(100L << 20, t.inner().limit().bytes());
        assertEquals(Duration.ofSeconds(30), t.items().get(0).every());
        assertEquals(1024, t.items().get(0).limit().bytes());
        assertNull(Binder.bind(YamlDocument.parse("{}", "e", null), Top.class).name());
    }

    @Test
    void everyMistakeIsReportedWithLineColumnPathAndHint() {
        YamlDocument d = YamlDocument.parse("""
                name: x
                count: many
                on: perhaps
                mode: turbo
                inner: {every: soon, limit: lots, extra: 1}
                items:
                  - {every: 30s}
                  - {every: -1s}
                colour: red
                """, "t.yaml", null);
        Binder.bind(d, Top.class);
        List<Problem> ps = d.problems().errors();
        String all = ps.toString();
        assertEquals(8, ps.size(), all);
        assertTrue(all.contains("t.yaml:2:1: count: expected a whole number, got 'many'"), all);
        assertTrue(all.contains("t.yaml:3:1: on: expected true or false"), all);
        assertTrue(all.contains("t.yaml:4:1: mode: expected one of fast, safe, got 'turbo'"), all);
        assertTrue(all.contains("t.yaml:5:9: inner.every: 'soon' is not a duration"), all);
        assertTrue(all.contains("t.yaml:5:22: inner.limit: 'lots' is not a size"), all);
        assertTrue(all.contains("t.yaml:5:35: inner.extra: unknown key (valid keys: every, limit)"), all);
        assertTrue(all.contains("t.yaml:8:6: items[1].every: a duration must not be negative"), all);
        assertTrue(all.contains("t.yaml:9:1: colour: unknown key (valid keys: count, inner, items, labels, mode, name, on)"), all);
    }

    @Test
    void duplicateKeysAndBrokenYaml() {
        YamlDocument d = YamlDocument.parse("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml", null);
        assertEquals("t.yaml:4:3: b.c: duplicate key 'c' (each key once per mapping)", d.problems().errors().get(0).toString());
        ConfigException e = assertThrows(ConfigException.class, () -> YamlDocument.parse("a: [\n  - b\n", "t.yaml", null));
        assertTrue(e.getMessage().startsWith("t.yaml:") && e.getMessage().contains("not valid YAML"), e.getMessage());
    }

    @Test
    void renamedKeysWarnAndKeepTheirPlace() {
        YamlDocument d = YamlDocument.parse("inner:\n  everyTime: 1s\n", "t.yaml", null);
        d.renameKeys(k -> k.equals("everyTime") ? "every" : k, java.util.Set.of(), "deprecated key, write %s");
        Top t = Binder.bind(d, Top.class);
        assertEquals(Duration.ofSeconds(1), t.inner().every());
        assertEquals("t.yaml:2:3: inner.everyTime: deprecated key, write inner.every", d.problems().warnings().get(0).toString());
    }

    record Listed(List<String> names, String text) {}

    @Test
    void anOverrideWrittenAsAFlowList_bindsAsAList_anyOtherTextStaysText() {
        YamlDocument d = YamlDocument.parse("{}", "t.yaml", null);
        d.override("names=[a, b]");
        d.override("text=[not a list");
        Listed l = Binder.bind(d, Listed.class);
        assertTrue(d.problems().errors().isEmpty(), d.problems().errors().toString());
        assertEquals(List.of("a", "b"), l.names());
        assertEquals("[not a list", l.text());
    }
}
