package dev.datainsight.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The PostgreSQL URL parser on its own: both URL forms, credentials, defaults and rejections. */
class PostgresUrlTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "jdbc:postgresql://h:5433/app                    | h:5433        | app      |                  | -   | -",
        "jdbc:postgresql://h1:5432,h2:5432/app?sslmode=require | h1:5432,h2:5432 | app | sslmode=require | -   | -",
        "jdbc:postgresql://h                             | h             | postgres |                  | -   | -",
        "jdbc:postgresql://h/db?user=u&password=p&ApplicationName=x | h    | db       |                  | u   | p",
        "postgresql://mon:s%40cret@h/db?sslmode=verify-full | h          | db       | sslmode=verify-full | mon | s@cret",
        "postgres://h:6432                               | h:6432        | postgres |                  | -   | -",
        "postgresql:///my%20db?dbname=other&application_name=x | localhost | other  |                  | -   | -",
        "postgresql://[::1]:5432/db                      | [::1]:5432    | db       |                  | -   | -",
    })
    void parses(String url, String hosts, String db, String params, String user, String password) {
        PostgresUrl u = PostgresUrl.parse(url);
        assertEquals(hosts, u.hosts());
        assertEquals(db, u.database());
        assertEquals(params == null ? "" : params, u.params());
        assertEquals(user, u.user());
        assertEquals(password, u.password());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "mysql://h/db                 | not a PostgreSQL URL",
        "jdbc:postgresql://h:99999/db | bad port '99999'",
        "jdbc:postgresql://h:0/db     | bad port '0'",
        "postgresql://h:abc/db        | bad port 'abc'",
        "jdbc:postgresql:///db        | not a PostgreSQL URL",
        "jdbc:postgresql://h/db?socketTimeout=0 | 'socketTimeout' is not allowed",
        "jdbc:postgresql://h/db?loginTimeout=0 | 'loginTimeout' is not allowed",
        "postgresql://h/db?readOnly=false | 'readOnly' is not allowed",
        "postgresql://h/db?preferQueryMode=simple | 'preferQueryMode' is not allowed",
        "postgresql://h/db?sslfactory=org.postgresql.ssl.NonValidatingFactory | 'sslfactory' is not allowed",
        "postgresql://h/db?sslmode=maybe | sslmode='maybe' is not one of",
        "postgresql://h/db?options=-c%20statement_timeout%3D0 | 'options' is not allowed",
        "postgresql://h/db?options=-c%20lock_timeout%3D0%20-c%20default_transaction_read_only%3Doff | would override lock_timeout, default_transaction_read_only",
        "jdbc:postgresql://h/db?options=-c%20search_path%3Dx | without its timeouts and read-only mode",
        "jdbc:postgresql://h/db?tcpKeepAlive=false | 'tcpKeepAlive' is not allowed",
        "jdbc:postgresql://h/db?connectTimeout=0 | 'connectTimeout' is not allowed",
        "jdbc:postgresql://h/db?assumeMinServerVersion=9.6 | 'assumeMinServerVersion' is not allowed",
    })
    void rejects(String url, String message) {
        String m = assertThrows(IllegalArgumentException.class, () -> PostgresUrl.parse(url)).getMessage();
        assertTrue(m.contains(message), m);
    }

    @Test
    void jdbcUrlOfAnotherDatabaseKeepsParametersAndNeverCarriesCredentials() {
        PostgresUrl u = PostgresUrl.parse("postgresql://mon:pw@h:5432/db?sslmode=require&user=x");
        assertEquals("jdbc:postgresql://h:5432/my%20db?sslmode=require", u.jdbcUrl("my db"));
        assertFalse(u.toString().contains("pw"));
        assertNull(PostgresUrl.parse("jdbc:postgresql://h/db").password());
    }
}
