package dev.datainsight.cli.demo;

import dev.datainsight.collector.SnapshotSink;
import dev.datainsight.model.Snapshot;
import java.util.concurrent.atomic.AtomicLong;

/** Passes snapshots on to the real sink and counts snapshots and samples for the progress lines. */
final class CountingSink implements SnapshotSink {
    private final SnapshotSink next;
    private final AtomicLong snapshots = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();

    CountingSink(SnapshotSink next) {
        this.next = next;
    }

    @Override
    public void publish(Snapshot s) {
        snapshots.incrementAndGet();
        samples.addAndGet(s.sampleCount());
        next.publish(s);
    }

    @Override
    public void publish(Snapshot s, Runnable onDelivered) {
        snapshots.incrementAndGet();
        samples.addAndGet(s.sampleCount());
        next.publish(s, onDelivered);
    }

    long snapshots() {
        return snapshots.get();
    }

    long samples() {
        return samples.get();
    }

    @Override
    public void close() {
        next.close();
    }
}
