package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fleet file parsing: the example loads, and every kind of mistake names file, line and field. */
class FleetConfigTest {

    static FleetConfig parse(String yaml, Map<String, String> env) {
        return FleetConfig.parse(new StringReader(yaml), "fleet.yaml", env, null);
    }

    static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> parse(yaml, Map.of())).getMessage();
    }

    @Test
    void exampleFleetFileLoads() throws IOException {
        Path secrets = Paths.get(System.getProperty("java.io.tmpdir"), "fleet-test");
        Files.createDirectories(secrets);
        Path example = Paths.get("fleet.example.yaml");
        String text = Files.readString(example).replace("/run/secrets/orders-pg-password", secrets.resolve("pw").toString());
        Files.writeString(secrets.resolve("pw"), "from-file\n");
        Path copy = secrets.resolve("fleet.yaml");
        Files.writeString(copy, text);
        FleetConfig c = FleetConfig.load(copy, Map.of("ORDERS_PG_PASSWORD", "p1", "BILLING_PG_PASSWORD", "p3"));
        assertEquals(3, c.instances().size());
        assertTrue(c.instance("billing").plans().enabled(), "the example enables the plans probe on billing");
        assertFalse(c.instance("orders-primary").plans().enabled());
        FleetConfig.Instance orders = c.instance("orders-primary");
        assertEquals("jdbc:postgresql://db-orders-1.internal:5432/orders", orders.jdbcUrl());
        assertEquals("p1", orders.password());
        assertEquals(Map.of("env", "prod", "cluster", "orders", "role", "primary"), orders.labels());
        assertEquals(Duration.ofSeconds(10), orders.intervals().fast());
        FleetConfig.Instance replica = c.instance("orders-replica");
        assertEquals("from-file", replica.password());
        assertEquals(Duration.ofMinutes(2), replica.intervals().slow());
        assertEquals("jdbc:postgresql://billing-db.internal:5432/billing?sslmode=require", c.instance("billing").jdbcUrl());
        assertEquals("jdbc:postgresql://billing-db.internal:5432/other?sslmode=require", c.instance("billing").jdbcUrl("other"));
        assertEquals("localhost:9092", c.kafka().bootstrapServers());
        assertEquals(200, c.limits().topTables());
        assertEquals(Duration.ofSeconds(5), c.statementTimeout());
        assertFalse(c.toString().contains("p1") || c.toString().contains("from-file"), "no secrets in toString");
    }

    @Test
    void environmentOverridesKafkaAndSubstitutesVariables() {
        FleetConfig c = parse("""
                kafka: {bootstrap_servers: "${K:-x:1}"}
                instances:
                  - id: a
                    url: postgresql://${HOST}/app
                    user: mon
                """, Map.of("HOST", "db1:5433", "DATAINSIGHT_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092"));
        assertEquals("k1:9092,k2:9092", c.kafka().bootstrapServers());
        assertEquals("jdbc:postgresql://db1:5433/app", c.instance("a").jdbcUrl());
    }

    @Test
    void plansProbe_isOffByDefault_andConfiguredPerInstance() {
        FleetConfig c = parse("""
                kafka: {plans_topic: my.plans}
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon}
                  - {id: b, url: "postgresql://h/app", user: mon, plans: {enabled: true, per_cycle: 3, interval: 5m}}
                """, Map.of());
        assertEquals(dev.datainsight.collector.probe.PlansSettings.defaults(), c.instance("a").plans());
        assertFalse(c.instance("a").plans().enabled());
        assertEquals(new dev.datainsight.collector.probe.PlansSettings(true, 3, java.time.Duration.ofMinutes(5)),
                c.instance("b").plans());
        assertEquals("my.plans", c.kafka().plansTopic());
        assertTrue(error("""
                instances:
                  - {id: a, url: "postgresql://h/app", user: mon, plans: {enabled: true, per_cycle: 0}}
                """).contains("instances[0].plans.per_cycle: must be at least 1"));
    }

    @Test
    void libpqUrlCarriesUserAndPassword() {
        FleetConfig.Instance i = FleetConfig.Instance.builder("x").url("postgresql://mon:s%40cret@h:5432/db?sslmode=verify-full").build();
        assertEquals("mon", i.user());
        assertEquals("s@cret", i.password());
        assertEquals("jdbc:postgresql://h:5432/db?sslmode=verify-full", i.jdbcUrl());
        assertFalse(i.toString().contains("s@cret"));
    }

    @Test
    void unknownKey_namesFileLineAndField() {
        String m = error("""
                instances:
                  - id: a
                    url: postgresql://h/db
                    user: mon
                    pasword_env: X
                """);
        assertTrue(m.contains("fleet.yaml:5:") && m.contains("instances[0].pasword_env") && m.contains("unknown key"), m);
    }

    @Test
    void missingFields_andBadValues_areAllReportedInOneMessage() {
        String m = error("""
                defaults:
                  intervals: {fast: ten seconds}
                  top_tables: -1
                instances:
                  - id: a
                    user: mon
                  - id: b
                    url: mysql://h/db
                    user: mon
                """);
        assertTrue(m.contains("fleet.yaml:2:") && m.contains("defaults.intervals.fast") && m.contains("duration"), m);
        assertTrue(m.contains("fleet.yaml:3:") && m.contains("defaults.top_tables") && m.contains("at least 1"), m);
        assertTrue(m.contains("instances[0].url") && m.contains("missing"), m);
        assertTrue(m.contains("fleet.yaml:8:") && m.contains("instances[1].url") && m.contains("not a PostgreSQL URL"), m);
    }

    @Test
    void duplicateIds_badPort_unsetPasswordVariable() {
        String m = error("""
                instances:
                  - id: a
                    url: postgresql://h:99999/db
                    user: mon
                  - id: a
                    url: postgresql://h/db
                    user: mon
                    password_env: NOT_SET_ANYWHERE
                """);
        assertTrue(m.contains("bad port '99999'"), m);
        assertTrue(m.contains("fleet.yaml:8:") && m.contains("NOT_SET_ANYWHERE is not set"), m);
        String dup = error("""
                instances:
                  - {id: a, url: "postgresql://h/db", user: mon}
                  - {id: a, url: "postgresql://h/db2", user: mon}
                """);
        assertTrue(dup.contains("fleet.yaml:3:") && dup.contains("instances[1].id") && dup.contains("duplicate instance id 'a'"), dup);
    }

    @Test
    void noInstances_duplicateKeys_andBrokenYaml() {
        assertTrue(error("kafka: {}\n").contains("instances: missing"));
        assertTrue(error("instances:\n  - id: a\n    id: b\n").contains("duplicate key 'id'"));
        String m = error("instances: [\n  - id: a\n");
        assertTrue(m.startsWith("fleet.yaml:") && m.contains("not valid YAML"), m);
    }

    @Test
    void missingFileIsAClearError() {
        String m = assertThrows(ConfigException.class, () -> FleetConfig.load(Paths.get("no/such/fleet.yaml"))).getMessage();
        assertTrue(m.contains("cannot read fleet file no/such/fleet.yaml"), m);
    }

    @Test
    void sessionQueryText_canBeTurnedOff_andItsBoundSet() {
        FleetConfig on = parse("""
                instances:
                  - {id: a, url: "jdbc:postgresql://h/db", user: u}
                """, Map.of());
        assertTrue(on.sessionLimits().queryText());
        assertEquals(200, on.sessionLimits().queryTextMaxChars());
        assertEquals(20, on.sessionLimits().maxSessionRows());
        FleetConfig off = parse("""
                defaults: {session_query_text: false, session_query_text_max_chars: 64}
                instances:
                  - {id: a, url: "jdbc:postgresql://h/db", user: u}
                """, Map.of());
        assertFalse(off.sessionLimits().queryText());
        assertEquals(64, off.sessionLimits().queryTextMaxChars());
        assertTrue(error("""
                defaults: {session_query_text_max_chars: 3}
                instances:
                  - {id: a, url: "jdbc:postgresql://h/db", user: u}
                """).contains("session_query_text_max_chars"));
    }

    @Test
    void builderDefaults() {
        FleetConfig c = FleetConfig.single("one", "jdbc:postgresql://h/db?user=u&password=p", null, null);
        assertEquals("u", c.instance("one").user());
        assertEquals("p", c.instance("one").password());
        assertEquals("jdbc:postgresql://h/db", c.instance("one").jdbcUrl());
        assertEquals(Duration.ofSeconds(1), c.lockTimeout());
        assertNull(c.kafka().bootstrapServers());
    }

    @Test
    void aFileWithNineDifferentMistakes_reportsThemAllInOneRun_withLineAndColumn() {
        String m = error("""
                workers: 0
                defaults:
                  intervals: {fast: 0s, slow: often}
                  top_tables: lots
                kafka:
                  bootstrap_server: k:9092
                instances:
                  - id: "bad id"
                    url: postgresql://h/db
                    user: mon
                  - id: b
                    url: postgresql://h:70000/db
                    user: mon
                    password: x
                    password_env: X
                    labels: {env: [prod]}
                """);
        for (String expected : new String[] {
            "fleet.yaml:1:1: workers: must be at least 1, got 0",
            "fleet.yaml:3:15: defaults.intervals.fast: must be positive",
            "fleet.yaml:3:25: defaults.intervals.slow: 'often' is not a duration",
            "fleet.yaml:4:3: defaults.top_tables: expected a whole number, got 'lots'",
            "fleet.yaml:6:3: kafka.bootstrap_server: unknown key (valid keys: bootstrap_servers, buffer_records, logs_topic, metrics_topic, plans_topic, properties, statements_topic)",
            "fleet.yaml:8:5: instances[0].id: 'bad id' must be letters",
            "fleet.yaml:16:14: instances[1].labels.env: expected a string, got a list",
            "fleet.yaml:14:5: instances[1].password: give only one of password, password_env, password_file",
            "fleet.yaml:15:5: instances[1].password_env: environment variable X is not set",
        }) {
            assertTrue(m.contains(expected), expected + "\n in: " + m);
        }
        assertTrue(m.startsWith("invalid fleet file (9 problems)"), m);
    }

    @Test
    void urlParameterThatWouldWeakenSafety_isAnErrorWithFileLineAndField() {
        String m = error("""
                instances:
                  - id: a
                    url: postgresql://h/db?sslmode=require
                    user: mon
                  - id: b
                    url: "jdbc:postgresql://h/db?socketTimeout=0"
                    user: mon
                  - id: c
                    url: postgresql://h/db?readOnly=false&sslfactory=org.postgresql.ssl.NonValidatingFactory
                    user: mon
                  - id: d
                    url: "postgresql://h/db?options=-c%20statement_timeout%3D0"
                    user: mon
                """);
        assertTrue(m.contains("fleet.yaml:6:") && m.contains("instances[1].url") && m.contains("'socketTimeout' is not allowed"), m);
        assertTrue(m.contains("fleet.yaml:9:") && m.contains("instances[2].url") && m.contains("'readOnly' is not allowed"), m);
        assertTrue(m.contains("fleet.yaml:12:") && m.contains("instances[3].url") && m.contains("'options' is not allowed")
                && m.contains("'-c statement_timeout=0' would override statement_timeout"), m);
        assertFalse(m.contains("instances[0]"), m);
    }

    @Test
    void fleetDefaultSslmodeAndRootCert_applyUnlessTheUrlSetsItsOwn() {
        FleetConfig c = parse("""
                defaults:
                  sslmode: verify-full
                  sslrootcert: /etc/datainsight/ca.pem
                instances:
                  - {id: a, url: "postgresql://h/db", user: mon}
                  - {id: b, url: "postgresql://h/db?sslmode=require", user: mon}
                  - {id: c, host: h2, user: mon}
                """, Map.of());
        assertEquals("jdbc:postgresql://h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fdatainsight%2Fca.pem", c.instance("a").jdbcUrl());
        assertEquals("jdbc:postgresql://h/db?sslmode=require&sslrootcert=%2Fetc%2Fdatainsight%2Fca.pem", c.instance("b").jdbcUrl());
        assertEquals("jdbc:postgresql://h2:5432/postgres?sslmode=verify-full&sslrootcert=%2Fetc%2Fdatainsight%2Fca.pem",
                c.instance("c").jdbcUrl());
        String m = error("""
                defaults:
                  sslmode: verify-everything
                instances:
                  - {id: a, url: "postgresql://h/db", user: mon}
                """);
        assertTrue(m.contains("fleet.yaml:2:") && m.contains("defaults.sslmode") && m.contains("verify-full"), m);
    }
}
