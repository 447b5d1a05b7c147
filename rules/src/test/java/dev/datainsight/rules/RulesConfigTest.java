package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.rules.defs.ConnectionSaturationRule;
import dev.datainsight.rules.defs.IdleInTransactionRule;
import dev.datainsight.rules.defs.LongTransactionRule;
import dev.datainsight.rules.defs.TempSpillRule;
import dev.datainsight.rules.engine.RuleDefinition;
import dev.datainsight.rules.engine.Params;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules file: defaults, overrides, and every way a bad file must fail at start. */
class RulesConfigTest {

    private static IllegalArgumentException bad(String yaml) {
        return assertThrows(IllegalArgumentException.class, () -> RulesConfig.parse(yaml, "test.yaml"));
    }

    @Test
    void defaults_areTheDocumentedOnes() {
        RulesConfig c = RulesConfig.defaults();
        Params p = c.base("connection_saturation");
        assertEquals(0.80, p.number(ConnectionSaturationRule.WARNING));
        assertEquals(0.95, p.number(ConnectionSaturationRule.CRITICAL));
        assertEquals(120_000L, p.millis(RuleDefinition.FOR));
        assertEquals(4 * 3_600_000L, p.millis(RuleDefinition.RENOTIFY));
        assertEquals(15 * 60_000L, c.staleAfterMs());
        assertEquals(100.0 * 1024 * 1024, c.base("temp_spill").number(TempSpillRule.WARNING));
        assertNull(c.base("temp_spill").number(TempSpillRule.CRITICAL));
    }

    @Test
    void exampleFile_loads() {
        RulesConfig c = RulesConfig.load(Path.of("rules.example.yaml"));
        assertEquals(0.90, c.params("connection_saturation", "pg-reporting-2", Map.of(), Map.of()).number(ConnectionSaturationRule.WARNING));
        assertEquals(0.80, c.params("connection_saturation", "pg-prod-1", Map.of(), Map.of()).number(ConnectionSaturationRule.WARNING));
        assertFalse(c.params("autovacuum_lag", "pg-prod-1", Map.of(), Map.of("relname", "audit_log")).enabled());
        assertTrue(c.params("autovacuum_lag", "pg-prod-1", Map.of(), Map.of("relname", "orders")).enabled());
        assertEquals(3600.0, c.params("long_transaction", "x", Map.of("env", "warehouse"), Map.of()).number(LongTransactionRule.WARNING));
    }

    @Test
    void overrides_matchInstanceGlobsAndLabels_laterOnesWin() {
        RulesConfig c = RulesConfig.parse("""
                defaults: {renotify: 1h}
                rules:
                  idle_in_transaction:
                    warning: 100
                    overrides:
                      - match: {instance: "db-*"}
                        warning: 200
                      - match: {instance: "db-*", env: prod}
                        warning: 50
                        for: 30s
                """, "t");
        assertEquals(100.0, c.params("idle_in_transaction", "other", Map.of(), Map.of()).number(IdleInTransactionRule.WARNING));
        assertEquals(200.0, c.params("idle_in_transaction", "db-1", Map.of("env", "dev"), Map.of()).number(IdleInTransactionRule.WARNING));
        Params prod = c.params("idle_in_transaction", "db-1", Map.of("env", "prod"), Map.of());
        assertEquals(50.0, prod.number(IdleInTransactionRule.WARNING));
        assertEquals(30_000L, prod.millis(RuleDefinition.FOR));
        assertEquals(3_600_000L, prod.millis(RuleDefinition.RENOTIFY));
    }

    @Test
    void unknownRule_failsNamingItAndTheKnownOnes() {
        IllegalArgumentException e = bad("rules:\n  conection_saturation: {warning: 0.5}\n");
        assertTrue(e.getMessage().contains("test.yaml"), e.getMessage());
        assertTrue(e.getMessage().contains("rules.conection_saturation: unknown rule"), e.getMessage());
        assertTrue(e.getMessage().contains("connection_saturation"), e.getMessage());
    }

    @Test
    void unknownKey_fails() {
        IllegalArgumentException e = bad("rules:\n  deadlocks: {treshold: 1}\n");
        assertTrue(e.getMessage().contains("rules.deadlocks.treshold: unknown setting"), e.getMessage());
        assertTrue(bad("rulez: {}\n").getMessage().contains("unknown top-level key"));
        assertTrue(bad("defaults: {renotfy: 1h}\n").getMessage().contains("defaults.renotfy"));
    }

    @Test
    void wrongTypes_fail() {
        assertTrue(bad("rules:\n  connection_saturation: {warning: high}\n").getMessage()
                .contains("rules.connection_saturation.warning: expected a number, got 'high'"));
        assertTrue(bad("rules:\n  connection_saturation: {enabled: yes please}\n").getMessage()
                .contains("expected true or false"));
        assertTrue(bad("rules:\n  connection_saturation: {for: soon}\n").getMessage().contains("is not a duration"));
        assertTrue(bad("rules:\n  instance_down: {severity: page}\n").getMessage()
                .contains("expected info, warning or critical"));
        assertTrue(bad("rules:\n  temp_spill: {warning: lots}\n").getMessage().contains("is not a size"));
        assertTrue(bad("rules:\n  temp_spill: [1, 2]\n").getMessage().contains("must be a mapping"));
        assertTrue(bad("rules:\n  connection_saturation: {enabled: null}\n").getMessage().contains("must not be null"));
    }

    @Test
    void warningAboveCritical_fails_andBelowForLowerIsWorse() {
        assertTrue(bad("rules:\n  connection_saturation: {warning: 0.97}\n").getMessage()
                .contains("warning (0.97) is above critical (0.95)"));
        assertTrue(bad("rules:\n  cache_hit_ratio: {warning: 0.7, critical: 0.8}\n").getMessage()
                .contains("warning (0.7) is below critical (0.8)"));
        // also inside an override, merged with the rule's settings
        assertTrue(bad("""
                rules:
                  idle_in_transaction:
                    overrides:
                      - match: {instance: a}
                        critical: 100
                """).getMessage().contains("rules.idle_in_transaction.overrides[0]: warning (300.0) is above critical"));
        // a level switched off is not compared
        RulesConfig.parse("rules:\n  connection_saturation: {warning: 0.97, critical: null}\n", "t");
    }

    @Test
    void negativeDurations_fail() {
        assertTrue(bad("rules:\n  connection_saturation: {for: -5m}\n").getMessage()
                .contains("rules.connection_saturation.for: a duration must not be negative"));
        assertTrue(bad("rules:\n  lock_contention: {resolve_for: -1}\n").getMessage().contains("negative"));
        assertTrue(bad("defaults: {stale_after: -1h}\n").getMessage().contains("negative"));
    }

    @Test
    void malformedOverrides_fail() {
        assertTrue(bad("rules:\n  deadlocks: {overrides: {a: 1}}\n").getMessage().contains("must be a list"));
        assertTrue(bad("rules:\n  deadlocks: {overrides: [{warning: 1}]}\n").getMessage().contains("match"));
        assertTrue(bad("rules:\n  deadlocks: {overrides: [{match: {instance: a}}]}\n").getMessage()
                .contains("at least one setting"));
        assertTrue(bad("rules:\n  deadlocks: {overrides: [{match: {instance: a}, windw: 1m}]}\n").getMessage()
                .contains("unknown setting"));
    }

    @Test
    void invalidYaml_fails() {
        assertTrue(bad("rules: [unclosed\n").getMessage().contains("not valid YAML"));
    }

    @Test
    void disabledRule_doesNotRun_unlessAnOverrideEnablesIt() {
        RulesConfig c = RulesConfig.parse("""
                rules:
                  anomaly: {enabled: false}
                  deadlocks:
                    enabled: false
                    overrides: [{match: {instance: canary}, enabled: true}]
                """, "t");
        assertFalse(c.mayRun("anomaly"));
        assertTrue(c.mayRun("deadlocks"));
        assertTrue(c.params("deadlocks", "canary", Map.of(), Map.of()).enabled());
        assertFalse(c.params("deadlocks", "other", Map.of(), Map.of()).enabled());
    }

    @Test
    void aFileWithSevenDifferentMistakes_reportsThemAllInOneRun_withLineAndColumn() {
        dev.datainsight.config.ConfigException e = assertThrows(dev.datainsight.config.ConfigException.class,
                () -> RulesConfig.parse("""
                        defaults:
                          renotify: often
                          stale_afer: 15m
                        rules:
                          connection_saturation:
                            warning: 0.99
                            for: -1m
                          temp_spill: {warning: lots}
                          deadlocks:
                            overrides:
                              - match: {instnce: "db-*"}
                                enabled: false
                          slow_query: {treshold: 5}
                          no_such_rule: {}
                        """, "rules.yaml"));
        String all = e.getMessage();
        for (String expected : new String[] {
            "rules.yaml:2:3: defaults.renotify: 'often' is not a duration",
            "rules.yaml:3:3: defaults.stale_afer: unknown key (valid keys: instance_labels, renotify, stale_after)",
            "rules.yaml:14:3: rules.no_such_rule: unknown rule",
            "rules.yaml:7:5: rules.connection_saturation.for: a duration must not be negative",
            "rules.yaml:5:3: rules.connection_saturation: warning (0.99) is above critical (0.95)",
            "rules.yaml:8:16: rules.temp_spill.warning: 'lots' is not a size",
            "rules.yaml:11:17: rules.deadlocks.overrides[0].match.instnce: unknown match key for rule deadlocks"
                    + " (valid keys: cluster, datname, env, instance, role;",
            "rules.yaml:13:16: rules.slow_query.treshold: unknown setting for rule slow_query",
        }) {
            assertTrue(all.contains(expected), expected + "\n in: " + all);
        }
        assertEquals(8, e.problems().size(), all);
    }

    @Test
    void matchKeys_areTheRowLabelsOfTheRuleViews_instance_andTheDeclaredInstanceLabels() {
        RulesConfig c = RulesConfig.parse("""
                defaults: {instance_labels: [team]}
                rules:
                  autovacuum_lag:
                    overrides:
                      - {match: {relname: audit_log, team: dba}, enabled: false}
                """, "t");
        assertFalse(c.params("autovacuum_lag", "x", Map.of("team", "dba"), Map.of("relname", "audit_log")).enabled());
        String m = bad("defaults: {instance_labels: [team]}\nrules:\n  deadlocks:\n    overrides: [{match: {env: prod}, enabled: false}]\n")
                .getMessage();
        assertTrue(m.contains("match.env: unknown match key for rule deadlocks (valid keys: datname, instance, team;"), m);
    }
}
