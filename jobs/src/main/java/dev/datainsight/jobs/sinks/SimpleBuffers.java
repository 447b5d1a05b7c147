package dev.datainsight.jobs.sinks;

import dev.datainsight.jobs.records.CapturedPlan;
import dev.datainsight.store.QueryPlanRow;
import dev.datainsight.jobs.records.Recommendation;
import dev.datainsight.store.RecommendationRow;

import dev.datainsight.jobs.records.InstanceSeen;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.QueryText;
import dev.datainsight.store.InsightRow;
import dev.datainsight.store.InstanceRow;
import dev.datainsight.store.StoreWriter;
import dev.datainsight.model.WireCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The small store buffers: instance inventory, statement texts, alert events, insights. */
public final class SimpleBuffers {
    private SimpleBuffers() {}

    /** Inventory rows, latest per instance. */
    public static final class Instances implements StoreBuffer<InstanceSeen> {
        private static final long serialVersionUID = 1L;
        private transient Map<String, InstanceRow> rows;

        @Override
        public int add(InstanceSeen s) {
            if (rows == null) {
                rows = new LinkedHashMap<>();
            }
            Map<String, String> labels = new LinkedHashMap<>();
            for (int i = 0; s.labels != null && i + 1 < s.labels.length; i += 2) {
                labels.put(s.labels[i], s.labels[i + 1]);
            }
            InstanceRow old = rows.get(s.instance);
            if (old == null || old.seenAt() <= s.seenAt) {
                rows.put(s.instance, new InstanceRow(s.instance, labels, s.serverVersionNum, s.seenAt));
            }
            return rows.size();
        }

        @Override
        public void flush(StoreCalls calls) throws Exception {
            if (rows != null && !rows.isEmpty()) {
                calls.write("instance", new ArrayList<>(rows.values()), StoreWriter::upsertInstances,
                        r -> new StoreCalls.Row(r.instance(), json(r)));
                rows.clear();
            }
        }

        @Override
        public StoreBuffer<InstanceSeen> fresh() {
            return new Instances();
        }
    }

    /** New query texts, written per instance. */
    public static final class Texts implements StoreBuffer<StatementTexts> {
        private static final long serialVersionUID = 1L;
        private transient List<StatementTexts> items;
        private transient int count;

        @Override
        public int add(StatementTexts t) {
            if (items == null) {
                items = new ArrayList<>();
            }
            items.add(t);
            count += t.queryids.length;
            return count;
        }

        @Override
        public void flush(StoreCalls calls) throws Exception {
            if (items == null) {
                return;
            }
            for (StatementTexts t : items) {
                List<QueryText> texts = new ArrayList<>(t.queryids.length);
                for (int i = 0; i < t.queryids.length; i++) {
                    texts.add(new QueryText(t.queryids[i], t.texts[i], t.truncated[i]));
                }
                calls.write("statement_text", texts, (w, part) -> w.upsertStatementTexts(t.instance, part, t.seenAt),
                        q -> new StoreCalls.Row(t.instance, json(Map.of("instance", String.valueOf(t.instance), "queryid",
                                String.valueOf(q.queryid()), "query", String.valueOf(q.text()), "truncated", q.truncated(),
                                "seen_at", t.seenAt))));
            }
            items.clear();
            count = 0;
        }

        @Override
        public StoreBuffer<StatementTexts> fresh() {
            return new Texts();
        }
    }

    /** Alert transitions (idempotent in the store). */
    public static final class Alerts implements StoreBuffer<AlertEvent> {
        private static final long serialVersionUID = 1L;
        private transient List<AlertEvent> items;

        @Override
        public int add(AlertEvent e) {
            if (items == null) {
                items = new ArrayList<>();
            }
            items.add(e);
            return items.size();
        }

        @Override
        public void flush(StoreCalls calls) throws Exception {
            if (items != null && !items.isEmpty()) {
                calls.write("alert_event", new ArrayList<>(items), StoreWriter::insertAlertEvents,
                        e -> new StoreCalls.Row(e.getInstance(), json(e)));
                items.clear();
            }
        }

        @Override
        public StoreBuffer<AlertEvent> fresh() {
            return new Alerts();
        }
    }

    /** Insights, latest per (instance, kind, subject). */
    public static final class Insights implements StoreBuffer<InsightRow> {
        private static final long serialVersionUID = 1L;
        private transient Map<List<String>, InsightRow> rows;

        @Override
        public int add(InsightRow r) {
            if (rows == null) {
                rows = new LinkedHashMap<>();
            }
            rows.put(List.of(r.instance(), r.kind(), r.subject()), r);
            return rows.size();
        }

        @Override
        public void flush(StoreCalls calls) throws Exception {
            if (rows != null && !rows.isEmpty()) {
                calls.write("insight", new ArrayList<>(rows.values()), StoreWriter::upsertInsights,
                        r -> new StoreCalls.Row(r.instance(), json(r)));
                rows.clear();
            }
        }

        @Override
        public StoreBuffer<InsightRow> fresh() {
            return new Insights();
        }
    }

    /** Captured plans, all kept (the writer folds the sightings of one plan and month into one row). */
    public static final class Plans implements StoreBuffer<CapturedPlan> {
        private static final long serialVersionUID = 1L;
        private transient List<QueryPlanRow> rows;

        @Override
        public int add(CapturedPlan p) {
            if (rows == null) {
                rows = new ArrayList<>();
            }
            rows.add(new QueryPlanRow(p.instance, p.datname, p.queryid, p.rolname, p.fingerprint, p.summary, p.totalCost,
                    p.plan, p.truncated, p.planBytes, p.capturedAt));
            return rows.size();
        }

        @Override
        public void flush(StoreCalls calls) throws Exception {
            if (rows != null && !rows.isEmpty()) {
                calls.write("query_plan", new ArrayList<>(rows), StoreWriter::upsertQueryPlans,
                        r -> new StoreCalls.Row(r.instance(), json(r)));
                rows.clear();
            }
        }

        @Override
        public StoreBuffer<CapturedPlan> fresh() {
            return new Plans();
        }
    }

    /** Recommendation evaluations (the writer keeps the newest per dedup key). */
    public static final class Recommendations implements StoreBuffer<Recommendation> {
        private static final long serialVersionUID = 1L;
        private transient List<RecommendationRow> rows;

        @Override
        public int add(Recommendation r) {
            if (rows == null) {
                rows = new ArrayList<>();
            }
            rows.add(new RecommendationRow(r.instance, r.dedupKey, r.kind, r.datname, r.queryid, r.target, r.open,
                    r.firstSeen, r.seenAt, r.confidence, r.summary, r.action, r.evidence, r.validated, r.closedReason));
            return rows.size();
        }

        @Override
        public void flush(StoreCalls calls) throws Exception {
            if (rows != null && !rows.isEmpty()) {
                calls.write("recommendation", new ArrayList<>(rows), StoreWriter::upsertRecommendations,
                        r -> new StoreCalls.Row(r.instance(), json(r)));
                rows.clear();
            }
        }

        @Override
        public StoreBuffer<Recommendation> fresh() {
            return new Recommendations();
        }
    }

    /** A row as JSON for its dead letter (its own toString if it does not encode). */
    static String json(Object row) {
        try {
            return WireCodec.mapper().writeValueAsString(row);
        } catch (Exception e) {
            return String.valueOf(row);
        }
    }
}
