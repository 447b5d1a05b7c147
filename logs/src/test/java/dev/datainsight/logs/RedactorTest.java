package dev.datainsight.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedactorTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "ALTER ROLE bob PASSWORD 'hunter2'|ALTER ROLE bob PASSWORD '********'",
        "alter user bob with encrypted password 'it''s-hunter2' valid until 'infinity'|alter user bob with encrypted password '********' valid until 'infinity'",
        "CREATE ROLE bob LOGIN PASSWORD E'a\\'hunter2\\\\'|CREATE ROLE bob LOGIN PASSWORD '********'",
        "CREATE USER \"Bob Smith\" PASSWORD $$hunter2$$|CREATE USER \"Bob Smith\" PASSWORD '********'",
        "CREATE USER bob PASSWORD $pw$hun'ter2$pw$ CREATEDB|CREATE USER bob PASSWORD '********' CREATEDB",
        "ALTER ROLE bob PASSWORD 'SCRAM-SHA-256$4096:abc$def:ghi'|ALTER ROLE bob PASSWORD '********'",
        "ALTER GROUP g PASSWORD 'hunter2'; ALTER ROLE x PASSWORD 'two'|ALTER GROUP g PASSWORD '********'; ALTER ROLE x PASSWORD '********'",
        "ALTER ROLE bob PASSWORD 'unterminated hunter2|ALTER ROLE bob PASSWORD '********'",
        "ALTER ROLE bob PASSWORD NULL|ALTER ROLE bob PASSWORD NULL",
        "ALTER ROLE bob SET search_path = 'password'|ALTER ROLE bob SET search_path = 'password'",
        "SELECT 'ALTER ROLE' AS a, password FROM t|SELECT 'ALTER ROLE' AS a, password FROM t",
    })
    void masksRolePasswordsInAnyQuoting(String in, String out) {
        List<String> secrets = new ArrayList<>();
        assertEquals(out, Redactor.mask(in, secrets));
        for (String s : secrets) {
            assertFalse(Redactor.mask(in, new ArrayList<>()).contains(s) && !s.isEmpty(), s);
        }
    }

    @Test
    void longStatementsNeitherOverflowNorLeak() {
        String pad = " VALID UNTIL 'infinity'".repeat(3000);
        String in = "ALTER ROLE bob" + " CONNECTION LIMIT 5".repeat(4000) + " PASSWORD 'hunter2'" + pad;
        String out = Redactor.mask(in, new ArrayList<>());
        assertFalse(out.contains("hunter2"));
        assertEquals(in.length() - "'hunter2'".length() + Redactor.MASK.length(), out.length());
        String ctx = "SQL statement \"SELECT " + "\"\"c\"\", ".repeat(20_000) + "1\"\nPL/pgSQL function f() line 3 at PERFORM";
        assertEquals("SQL statement [statement text off]\nPL/pgSQL function f() line 3 at PERFORM", Redactor.dropContextSql(ctx));
        String noPassword = "CREATE ROLE bob" + " x".repeat(50_000) + " -- password is elsewhere";
        assertEquals(noPassword, Redactor.mask(noPassword, new ArrayList<>()));
    }

    @Test
    void masksEveryFieldAndTheRawTextOfAReadEntry() {
        String log = "2026-12-03 10:00:01.001 UTC [1] LOG:  statement: ALTER ROLE bob PASSWORD 'hunter2'\n"
                + "2026-12-03 10:00:02.001 UTC [1] ERROR:  invalid input syntax for type timestamp with time zone: \"x\"\n"
                + "2026-12-03 10:00:02.001 UTC [1] STATEMENT:  ALTER ROLE bob\n"
                + "\tPASSWORD 'hunter3' VALID UNTIL 'x'\n";
        byte[] b = log.getBytes(StandardCharsets.UTF_8);
        LogReader r = LogReader.stderr("%m [%p] ", LogOptions.defaults());
        List<LogEntry> e = new ArrayList<>(r.feed(b, 0).entries());
        e.addAll(r.finish().entries());
        assertEquals(2, e.size());
        for (LogEntry x : e) {
            assertFalse(x.toString().contains("hunter"), x.toString());
        }
        assertEquals("statement: ALTER ROLE bob PASSWORD '********'", e.get(0).message());
        assertEquals("ALTER ROLE bob\nPASSWORD '********' VALID UNTIL 'x'", e.get(1).statement());
    }

    @Test
    void csvRawTextIsWithheldWhenItsEscapingHidesThePassword() {
        // a password with a double quote is written "" in csv: the raw text cannot be masked reliably
        String csv = "2026-12-03 10:00:01.001 UTC,,,1,,s,1,,t,,0,LOG,00000,\"statement: ALTER ROLE bob PASSWORD 'hun\"\"ter2'\",,,,,,,,,\"\",\"client backend\",,0\n";
        LogReader r = LogReader.csvlog(17, LogOptions.defaults());
        LogEntry e = r.feed(csv.getBytes(StandardCharsets.UTF_8), 0).entries().get(0);
        assertEquals("statement: ALTER ROLE bob PASSWORD '********'", e.message());
        assertFalse(e.raw().contains("ter2"), e.raw());
    }

    @Test
    void statementTextOff() {
        String log = "2026-12-03 10:00:01.001 UTC [1] LOG:  duration: 12.5 ms  execute S_1: SELECT secret_column FROM t WHERE id = $1\n"
                + "2026-12-03 10:00:01.001 UTC [1] DETAIL:  parameters: $1 = '42'\n"
                + "2026-12-03 10:00:02.001 UTC [1] ERROR:  division by zero\n"
                + "2026-12-03 10:00:02.001 UTC [1] CONTEXT:  SQL statement \"SELECT 1/0 FROM secret_table\"\n"
                + "\tPL/pgSQL function f() line 3 at PERFORM\n"
                + "2026-12-03 10:00:02.001 UTC [1] STATEMENT:  SELECT f()\n"
                + "2026-12-03 10:00:03.001 UTC [1] LOG:  duration: 0.1 ms  plan:\n"
                + "\tQuery Text: SELECT * FROM secret_table\n"
                + "\tSeq Scan on secret_table\n";
        byte[] b = log.getBytes(StandardCharsets.UTF_8);
        LogReader r = LogReader.stderr("%m [%p] ", LogOptions.defaults().withStatementText(false));
        List<LogEntry> e = new ArrayList<>(r.feed(b, 0).entries());
        e.addAll(r.finish().entries());
        assertEquals(3, e.size());
        for (LogEntry x : e) {
            assertFalse(x.toString().contains("secret"), x.toString());
        }
        assertEquals("duration: 12.5 ms  execute S_1: [statement text off]", e.get(0).message());
        LogEvent.SlowStatement s = (LogEvent.SlowStatement) LogEvents.classify(e.get(0)).get(0);
        assertEquals(12.5, s.durationMs());
        assertEquals("S_1", s.name());
        assertEquals("SQL statement [statement text off]\nPL/pgSQL function f() line 3 at PERFORM", e.get(1).context());
        assertEquals("duration: 0.1 ms  plan: [statement text off]", e.get(2).message());
    }
}
