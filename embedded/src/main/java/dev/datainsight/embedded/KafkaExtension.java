package dev.datainsight.embedded;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving tests a real Kafka broker. The broker starts once per test JVM (the
 * first test class that needs it), on free loopback ports with its data under
 * {@code java.io.tmpdir} (the build points that at {@code target/tmp}), and stops when the test
 * plan ends. Use it as a static field:
 *
 * <pre>{@code @RegisterExtension static final KafkaExtension KAFKA = new KafkaExtension();}</pre>
 */
public final class KafkaExtension implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(KafkaExtension.class);
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static volatile EmbeddedKafka shared;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(NS).getOrComputeIfAbsent("broker", k -> {
            EmbeddedKafka k1 = EmbeddedKafka.start(tmpBase().resolve("kafka-" + UUID.randomUUID()));
            shared = k1;
            return (ExtensionContext.Store.CloseableResource) () -> {
                k1.close();
                shared = null;
            };
        });
    }

    /** The shared broker; only valid once the extension ran for the test class. */
    public EmbeddedKafka broker() {
        EmbeddedKafka k = shared;
        if (k == null) {
            throw new IllegalStateException("Kafka is not started: register KafkaExtension as a static @RegisterExtension field");
        }
        return k;
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** Creates a topic with a unique name (prefix + counter) and returns the name. */
    public String newTopic(String prefix, int partitions) {
        String name = prefix + "-" + TOPICS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
        broker().createTopic(name, partitions);
        return name;
    }

    /** {@code java.io.tmpdir}/datainsight, where embedded services of tests keep their data. */
    public static Path tmpBase() {
        return Paths.get(System.getProperty("java.io.tmpdir"), "datainsight");
    }
}
