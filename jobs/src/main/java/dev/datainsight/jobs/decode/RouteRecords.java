package dev.datainsight.jobs.decode;

import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.model.MetricCatalog;
import dev.datainsight.model.Snapshot;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Routes what the source decoded: valid snapshots to the main output (compact form), rejected
 * records to {@link #DEAD_LETTERS}, new query texts to {@link #TEXTS}, and full snapshots to
 * {@link #FULL} for the rules. Stateless and chained to the source.
 *
 * <p>Snapshots of a detail view ({@link dev.datainsight.model.ViewDef#isDetail()}: per-session
 * rows the rules use for their wording) go to {@link #FULL} only: they are not metrics, and
 * rolling them up would create one series per pid and application.
 */
public class RouteRecords extends ProcessFunction<SourceRecord, CompactSnapshot> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetterRecord.class));
    public static final OutputTag<StatementTexts> TEXTS =
            new OutputTag<>("statement-texts", TypeInformation.of(StatementTexts.class));
    public static final OutputTag<Snapshot> FULL = new OutputTag<>("full-snapshots", TypeInformation.of(Snapshot.class));

    @Override
    public void processElement(SourceRecord r, Context ctx, Collector<CompactSnapshot> out) {
        if (r.deadLetter != null) {
            ctx.output(DEAD_LETTERS, r.deadLetter);
            return;
        }
        if (!MetricCatalog.view(r.snapshot.view).isDetail()) {
            out.collect(r.snapshot);
        }
        if (r.texts != null) {
            ctx.output(TEXTS, r.texts);
        }
        if (r.full != null) {
            ctx.output(FULL, r.full);
        }
    }
}
