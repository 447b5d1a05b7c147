package dev.datainsight.jobs.packaging;

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
 * The shaded job jar, as 'package' built it (this test runs in 'integration-test'), carries the
 * job and the store module but no benchmark class: the benchmarks live in bench/ (issue 14).
 */
class JobJarContentsITCase {

    @Test
    void shadedJobJar_holdsTheJobAndTheStore_butNoBenchmarkClass() throws IOException {
        Path jar = Path.of(System.getProperty("datainsight.job.jar", "target/datainsight-job.jar"));
        assertTrue(Files.isRegularFile(jar), "no shaded jar at " + jar.toAbsolutePath() + ": run 'package' first");
        List<String> classes;
        try (JarFile f = new JarFile(jar.toFile())) {
            classes = f.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class")).toList();
        }
        assertTrue(classes.contains("dev/datainsight/jobs/DataInsightJob.class"), "the job's entry point is in the jar");
        assertTrue(classes.contains("dev/datainsight/store/JdbcStoreWriter.class"), "the store writer is bundled");
        assertEquals(List.of(), classes.stream().filter(n -> n.toLowerCase(Locale.ROOT).contains("bench")).toList(),
                "benchmark classes in " + jar);
    }

    @Test
    void shadedJobJar_keepsTheStateClassesAtTheirSavepointNames_andNothingElseInTheirPackage() throws IOException {
        Path jar = Path.of(System.getProperty("datainsight.job.jar", "target/datainsight-job.jar"));
        List<String> classes;
        try (JarFile f = new JarFile(jar.toFile())) {
            classes = f.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class")).toList();
        }
        // Savepoints name the state classes by their fully qualified names (see functions/package-info).
        assertEquals(List.of("dev/datainsight/jobs/functions/Bucket.class",
                        "dev/datainsight/jobs/functions/ViewState$ApplyStats.class",
                        "dev/datainsight/jobs/functions/ViewState.class"),
                classes.stream().filter(n -> n.startsWith("dev/datainsight/jobs/functions/"))
                        .filter(n -> !n.endsWith("package-info.class")).sorted().toList(),
                "the state package holds only the state classes");
        assertTrue(classes.contains("dev/datainsight/jobs/decode/SnapshotDeserializer.class"), "decode package");
        assertTrue(classes.contains("dev/datainsight/jobs/rollup/InstanceRollupFunction.class"), "rollup package");
    }
}
