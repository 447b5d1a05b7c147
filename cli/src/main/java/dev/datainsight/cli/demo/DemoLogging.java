package dev.datainsight.cli.demo;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Sends every log line of the demo (Kafka, Flink, PostgreSQL, DataInsight) to a file, so the
 * terminal shows only the demo's own progress lines.
 */
final class DemoLogging {
    private DemoLogging() {}

    static void toFile(Path file) {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setConfigurationName("datainsight-demo");
        b.add(b.newAppender("file", "File").addAttribute("fileName", file.toString()).addAttribute("append", true)
                .add(b.newLayout("PatternLayout").addAttribute("pattern", "%d{HH:mm:ss.SSS} %-5p [%t] %c{1} - %m%n")));
        b.add(b.newLogger("dev.datainsight", Level.INFO).add(b.newAppenderRef("file")).addAttribute("additivity", false));
        b.add(b.newRootLogger(Level.WARN).add(b.newAppenderRef("file")));
        Configurator.reconfigure(b.build());
    }
}
