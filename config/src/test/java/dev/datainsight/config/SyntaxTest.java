package dev.datainsight.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The duration and size syntax on its own: parsing, rejection with the expected syntax, and printing back. */
class SyntaxTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"250ms, 250ms", "90s, 90s", "1.5m, 90s", "4h, 4h", "7d, 7d", "PT36H, 36h", "0, 0s", "1.2345s, 1235ms"})
    void durationsRoundTrip(String text, String printed) {
        assertEquals(printed, DurationSyntax.format(DurationSyntax.parse(text)));
        assertEquals(DurationSyntax.parse(text), DurationSyntax.parse(printed), "printed text parses back to the same value");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "soon", "-1s", "PT-5S", "5 minutes", "1w", "s", "1.s", "1e3"})
    void badDurationsNameTheSyntax(String text) {
        String m = assertThrows(IllegalArgumentException.class, () -> DurationSyntax.parse(text)).getMessage();
        assertTrue(m.contains("duration"), m);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"512, 512B", "1024, 1KB", "1536B, 1.5KB", "100MB, 100MB", "1GiB, 1GB", "2tb, 2TB"})
    void sizesRoundTrip(String text, String printed) {
        assertEquals(printed, DataSize.parse(text).toString());
        assertEquals(DataSize.parse(text), DataSize.parse(printed));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "lots", "-1MB", "1PB", "MB", "1.5.5KB"})
    void badSizesNameTheSyntax(String text) {
        String m = assertThrows(IllegalArgumentException.class, () -> DataSize.parse(text)).getMessage();
        assertTrue(m.contains("size"), m);
    }

    @ParameterizedTest
    @CsvSource({"1.5, 1500", "0.0004, 0", "45, 45000"})
    void bareYamlNumbersAreSeconds(double seconds, long millis) {
        assertEquals(Duration.ofMillis(millis), DurationSyntax.ofSeconds(seconds));
    }
}
