package dev.datainsight.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.collector.ConfigException;
import dev.datainsight.collector.FleetConfig;
import dev.datainsight.config.DataSize;
import dev.datainsight.config.DurationSyntax;
import dev.datainsight.jobs.JobConfig;
import dev.datainsight.rules.RulesConfig;
import dev.datainsight.rules.defs.TempSpillRule;
import dev.datainsight.rules.engine.RuleDefinition;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One table: the same duration and size texts give the same value in the fleet file, the job
 * file (and its --set overrides), the rules file and every Duration option of the command line;
 * the same bad texts are refused by all of them.
 */
class ConfigSyntaxTest {

    static Duration fleet(String text) {
        return FleetConfig.parse(new StringReader("defaults: {statement_timeout: " + text + "}\n"
                + "instances: [{id: a, url: \"postgresql://h/db\", user: u}]\n"), "fleet.yaml", Map.of(), null).statementTimeout();
    }

    static JobConfig jobFile(String section, String key, String text) {
        Path f = write("%s: {%s: %s}\n".formatted(section, key, text));
        return JobConfig.load(f, List.of());
    }

    static Path write(String text) {
        try {
            Path f = java.nio.file.Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir")), "job", ".yaml");
            java.nio.file.Files.writeString(f, text);
            return f;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Duration rules(String text) {
        return RulesConfig.parse("rules: {deadlocks: {for: " + text + "}}\n", "rules.yaml").base("deadlocks")
                .get(RuleDefinition.FOR);
    }

    /** Every option of every command (and bench subcommand) whose values are Durations. */
    static List<String[]> durationOptions() {
        List<String[]> out = new ArrayList<>();
        collect(Main.commandLine(), out);
        return out;
    }

    private static void collect(CommandLine cl, List<String[]> out) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            boolean map = o.type() == Map.class && o.auxiliaryTypes().length == 2 && o.auxiliaryTypes()[1] == Duration.class;
            if (o.type() == Duration.class || map) {
                out.add(new String[] {qualified(cl.getCommandSpec()), o.longestName(), map ? "map" : ""});
            }
        }
        cl.getSubcommands().values().forEach(sub -> collect(sub, out));
    }

    private static String qualified(CommandSpec spec) {
        return spec.qualifiedName(" ").replaceFirst("^datainsight ?", "");
    }

    /**
     * The value a command option takes for {@code text}, through the command line's own
     * converters. {@code root} is one {@link Main#commandLine()} per test case, shared by its
     * options (building it was most of this class's time). Each option is parsed once per root,
     * so the value read is this parse's, or the option's initial value, exactly as with a fresh
     * root per option.
     */
    static Duration cli(CommandLine root, String[] option, String text) {
        CommandLine cl = root;
        List<String> args = new ArrayList<>();
        for (String part : option[0].isEmpty() ? new String[0] : option[0].split(" ")) {
            cl = cl.getSubcommands().get(part);
            args.add(part);
        }
        OptionSpec o = cl.getCommandSpec().findOption(option[1]);
        args.add(option[1]);
        args.add(option[2].isEmpty() ? text : "t=" + text);
        try {
            root.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.MissingParameterException ignored) {
            // a command's other required options do not matter here: the option was converted first
        }
        Object v = o.getValue();
        return option[2].isEmpty() ? (Duration) v : ((Map<?, ?>) v).values().stream().map(Duration.class::cast).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({
        "250ms, 250", "30s, 30000", "1.5m, 90000", "4h, 14400000", "7d, 604800000", "PT30S, 30000", "pt1m30s, 90000",
        "45, 45000", "0.5, 500", "2 m, 120000", "10S, 10000",
    })
    void durations(String text, long millis) {
        Duration expected = Duration.ofMillis(millis);
        assertEquals(expected, DurationSyntax.parse(text), "the parser");
        assertEquals(expected, fleet(text), "fleet file");
        assertEquals(expected, jobFile("time", "max_gap", text).time().maxGap(), "job file");
        assertEquals(expected, JobConfig.load(null, List.of("time.max_gap=" + text)).time().maxGap(), "job --set");
        assertEquals(expected, rules(text), "rules file");
        List<String[]> options = durationOptions();
        assertTrue(options.size() >= 7, "demo --duration/--interval, bench job --duration, notify x3, maintain x2");
        CommandLine root = Main.commandLine();
        for (String[] o : options) {
            assertEquals(expected, cli(root, o, text), o[0] + " " + o[1]);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-5s", "5 minutes", "1w", "P1Y", "1e3s"})
    void badDurationsAreRefusedEverywhere(String text) {
        assertThrows(IllegalArgumentException.class, () -> DurationSyntax.parse(text));
        assertThrows(ConfigException.class, () -> fleet(text));
        assertThrows(IllegalArgumentException.class, () -> jobFile("time", "max_gap", "\"" + text + "\""));
        assertThrows(IllegalArgumentException.class, () -> rules("\"" + text + "\""));
        CommandLine root = Main.commandLine();
        for (String[] o : durationOptions()) {
            assertThrows(CommandLine.ParameterException.class, () -> cli(root, o, text), o[0] + " " + o[1]);
        }
    }

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({"100MB, 104857600", "1GB, 1073741824", "1.5KB, 1536", "64KiB, 65536", "2048, 2048", "4096B, 4096", "4 mb, 4194304"})
    void sizes(String text, long bytes) {
        assertEquals(bytes, DataSize.parse(text).bytes(), "the parser");
        assertEquals(bytes, jobFile("kafka", "max_record_bytes", text).kafka().maxRecordBytes().bytes(), "job file");
        assertEquals(bytes, JobConfig.load(null, List.of("kafka.max_record_bytes=" + text)).kafka().maxRecordBytes().bytes(),
                "job --set");
        assertEquals((double) bytes, RulesConfig.parse("rules: {temp_spill: {warning: " + text + ", critical: 8GB}}\n", "r")
                .base("temp_spill").number(TempSpillRule.WARNING), "rules file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "-1MB", "1PB", "MB"})
    void badSizesAreRefusedEverywhere(String text) {
        assertThrows(IllegalArgumentException.class, () -> DataSize.parse(text));
        assertThrows(IllegalArgumentException.class, () -> jobFile("kafka", "max_record_bytes", "\"" + text + "\""));
        assertThrows(IllegalArgumentException.class,
                () -> RulesConfig.parse("rules: {temp_spill: {warning: \"" + text + "\"}}\n", "r"));
    }
}
