package dev.datainsight.jobs.plans;

import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.jobs.records.PlanRecord;
import dev.datainsight.model.DeadLetterRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Routes what the plans source decoded: each captured plan to the main output, a rejected record
 * to {@link #DEAD_LETTERS} (the job's one dead-letter sink). Stateless and chained to the source.
 */
public class RoutePlans extends ProcessFunction<PlanRecord, CapturedPlan> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetterRecord> DEAD_LETTERS =
            new OutputTag<>("plan-dead-letters", TypeInformation.of(DeadLetterRecord.class));

    @Override
    public void processElement(PlanRecord r, Context ctx, Collector<CapturedPlan> out) {
        if (r.deadLetter != null) {
            ctx.output(DEAD_LETTERS, r.deadLetter);
            return;
        }
        for (CapturedPlan p : r.plans) {
            out.collect(p);
        }
    }
}
