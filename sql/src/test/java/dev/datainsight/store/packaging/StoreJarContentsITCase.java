package dev.datainsight.store.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The store module's jar, as 'package' built it (this test runs in 'integration-test'), carries
 * the writer but no benchmark class: the store benchmark lives in bench/ (issue 14).
 */
class StoreJarContentsITCase {

    @Test
    void storeJar_holdsTheWriter_butNoBenchmarkClass() throws IOException {
        Path jar = Path.of(System.getProperty("datainsight.sql.jar", "target/datainsight-sql.jar"));
        assertTrue(Files.isRegularFile(jar), "no store jar at " + jar.toAbsolutePath() + ": run 'package' first");
        List<String> classes;
        try (JarFile f = new JarFile(jar.toFile())) {
            classes = f.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class")).toList();
        }
        assertTrue(classes.contains("dev/datainsight/store/JdbcStoreWriter.class"), "the store writer is in the jar");
        assertEquals(List.of(), classes.stream().filter(n -> n.toLowerCase(Locale.ROOT).contains("bench")).toList(),
                "benchmark classes in " + jar);
    }
}
