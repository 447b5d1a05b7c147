package dev.datainsight.jobs.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The job's packages import only what docs/architecture.md ("Inside jobs/") allows them, read
 * from the sources: every import and every fully qualified name in code (comments left out).
 */
class PackageDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/datainsight/jobs");
    private static final List<String> JDK = List.of("java.");
    private static final String MODEL = "dev.datainsight.model.";
    private static final String RECORDS = "dev.datainsight.jobs.records.";
    private static final String STATE = "dev.datainsight.jobs.functions.";
    /** The one class of the wiring package the feature packages may use: the uid and name constants. */
    private static final String NAMES = "dev.datainsight.jobs.JobNames";
    private static final String FLINK = "org.apache.flink.";
    private static final String LOGGING = "org.slf4j.";

    /** Per package below {@code jobs}: the prefixes its references may start with. */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "records", List.of(MODEL),
            "functions", List.of(MODEL, RECORDS),
            "decode", List.of(MODEL, RECORDS, NAMES, FLINK, LOGGING, "org.apache.kafka.", "com.fasterxml.jackson."),
            "rollup", List.of(MODEL, RECORDS, STATE, NAMES, FLINK, LOGGING),
            "sinks", List.of(MODEL, RECORDS, "dev.datainsight.store.", FLINK, LOGGING),
            "plans", List.of(MODEL, RECORDS, NAMES, FLINK, "dev.datainsight.rules.engine.PlanChangeSnapshot",
                    "com.fasterxml.jackson."));

    private static final Pattern IMPORT = Pattern.compile("(?m)^import\\s+(?:static\\s+)?([\\w.]+)");
    private static final Pattern QUALIFIED = Pattern.compile("\\b((?:dev|org|com|java|javax)\\.[a-z]\\w*(?:\\.\\w+)+)");
    /** Char and string literals and comments, left to right (a "//" in a string is no comment). */
    private static final Pattern NOT_CODE = Pattern.compile(
            "(?s)'(?:[^'\\\\\\n]|\\\\.)+'|\"(?:[^\"\\\\\\n]|\\\\.)*\"|/\\*.*?\\*/|//[^\\n]*");

    @Test
    void everyPackageOfTheJob_importsOnlyWhatTheArchitectureAllows() throws IOException {
        List<String> violations = new ArrayList<>();
        TreeSet<String> packages = new TreeSet<>();
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                String pkg = dir.getFileName().toString();
                packages.add(pkg);
                List<String> allowed = ALLOWED.get(pkg);
                if (allowed == null) {
                    continue; // reported below: a new package needs its rule here and in the docs
                }
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                        for (String ref : references(Files.readString(f))) {
                            if (!ref.startsWith("dev.datainsight.jobs." + pkg + ".") && !permitted(ref, allowed)) {
                                violations.add(pkg + "/" + f.getFileName() + " uses " + ref);
                            }
                        }
                    }
                }
            }
        }
        assertEquals(new TreeSet<>(ALLOWED.keySet()), packages,
                "the job's packages changed: give each its import rule here and in docs/architecture.md");
        assertEquals(List.of(), violations);
    }

    @Test
    void theScan_seesImportsAndQualifiedNamesInCode_butNotInCommentsOrStrings() {
        String src = """
                package dev.datainsight.jobs.rollup;

                import static dev.datainsight.jobs.decode.DecodeChecks.CODEC;
                import dev.datainsight.jobs.records.RollupBatch;
                /** See {@link dev.datainsight.jobs.sinks.StoreSink}. */
                class X {
                    Object o = dev.datainsight.model.SnapshotKind.STATEMENTS; // dev.datainsight.cli.Main
                    String s = "http://dev.datainsight.notify.Target"; char c = '"';
                    Object p = dev.datainsight.jobs.JobNames.STATE_VIEWS;
                }
                """;
        List<String> refs = references(src);
        assertEquals(List.of("dev.datainsight.jobs.decode.DecodeChecks.CODEC", "dev.datainsight.jobs.records.RollupBatch",
                "dev.datainsight.model.SnapshotKind.STATEMENTS", "dev.datainsight.jobs.JobNames.STATE_VIEWS"), refs);
        assertTrue(!permitted(refs.get(0), ALLOWED.get("rollup")), "rollup may not use decode");
        assertTrue(permitted(refs.get(1), ALLOWED.get("rollup")));
        assertTrue(permitted(refs.get(3), ALLOWED.get("rollup")), "JobNames is the one root class allowed");
        assertTrue(!permitted("dev.datainsight.jobs.JobConfig", ALLOWED.get("rollup")), "the rest of the root is not");
    }

    /** Imports and fully qualified names in code, in order, without the package declaration. */
    static List<String> references(String source) {
        String code = NOT_CODE.matcher(source).replaceAll(" ");
        code = code.replaceFirst("(?m)^package\\s+[\\w.]+\\s*;", "");
        List<String> out = new ArrayList<>();
        Matcher m = IMPORT.matcher(code);
        while (m.find()) {
            out.add(m.group(1));
        }
        String body = IMPORT.matcher(code).replaceAll("");
        Matcher q = QUALIFIED.matcher(body);
        while (q.find()) {
            out.add(q.group(1));
        }
        return out;
    }

    private static boolean permitted(String ref, List<String> allowed) {
        if (JDK.stream().anyMatch(ref::startsWith)) {
            return true;
        }
        for (String a : allowed) {
            if (a.endsWith(".") ? ref.startsWith(a) : ref.equals(a) || ref.startsWith(a + ".")) {
                return true;
            }
        }
        return false;
    }
}
