package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.datainsight.jobs.functions.Bucket;
import dev.datainsight.jobs.functions.ViewState;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.InstanceInfo;
import dev.datainsight.jobs.records.InstanceSeen;
import dev.datainsight.jobs.records.PendingSnapshots;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.DeadLetterRecord;
import dev.datainsight.jobs.records.SourceRecord;
import dev.datainsight.model.AlertContextItem;
import dev.datainsight.model.AlertEvent;
import dev.datainsight.model.MetricsSnapshot;
import dev.datainsight.model.PlansSnapshot;
import dev.datainsight.model.QueryPlan;
import dev.datainsight.model.QueryText;
import dev.datainsight.model.SnapshotRow;
import dev.datainsight.model.StatementsSnapshot;
import dev.datainsight.rules.engine.ActiveSeries;
import dev.datainsight.rules.engine.AlertState;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.Memory;
import dev.datainsight.store.InsightRow;
import dev.datainsight.model.Snapshot;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import java.util.Map;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** Everything that crosses the network or sits in state is a Flink POJO, never Kryo. */
class RecordTypesTest {
    /**
     * Every type on an edge between operators (network) or in keyed state, the job's and the
     * rules': each is a POJO whose every field is a POJO, a basic type, an array or a typed
     * List/Map of those — never a generic (Kryo) field. The job runs with
     * {@code pipeline.generic-types: false}, so a type that regressed would also fail the job
     * graph; this test names the culprit.
     */
    static final List<Class<?>> NETWORK_AND_STATE_TYPES = List.of(
            // job: source output, routed streams, rollup output and side outputs
            SourceRecord.class, CompactSnapshot.class, RollupBatch.class, InstanceSeen.class, StatementTexts.class,
            DeadLetterRecord.class,
            // job: rollup state
            PendingSnapshots.class, InstanceInfo.class, ViewState.class, Bucket.class,
            // the full snapshots the rules receive: each concrete kind and what it holds
            MetricsSnapshot.class, StatementsSnapshot.class, PlansSnapshot.class, SnapshotRow.class, QueryText.class,
            QueryPlan.class,
            // rules: evaluator output, lifecycle output, insights, and their state
            Evaluation.class, AlertEvent.class, AlertContextItem.class, InsightRow.class, AlertState.class,
            Memory.class, ActiveSeries.class, dev.datainsight.rules.engine.InstanceInfo.class,
            // plan history: the plans source's output, the per-query state and the plan change
            dev.datainsight.jobs.records.CapturedPlan.class, dev.datainsight.jobs.records.PlanSeen.class,
            dev.datainsight.jobs.records.PlanRecord.class, dev.datainsight.rules.engine.PlanChangeSnapshot.class,
            // recommendations: the statistics readings and the recommendation events (also state)
            dev.datainsight.jobs.records.StatsReading.class, dev.datainsight.jobs.records.Recommendation.class);

    @Test
    void networkAndStateTypesAreSerializedAsPojosWithoutKryo() {
        for (Class<?> type : NETWORK_AND_STATE_TYPES) {
            PojoTestUtils.assertSerializedAsPojoWithoutKryo(type);
        }
    }

    /**
     * The rules' input stream is typed with the abstract {@link Snapshot}: Flink keeps it a POJO
     * type and writes each record with the POJO serializer of its concrete class (the class name
     * first), so with generic types disabled every kind still round-trips, field for field.
     */
    @Test
    void fullSnapshotStream_serializesEveryKindAsPojo_withGenericTypesDisabled() throws Exception {
        TypeInformation<Snapshot> type = TypeInformation.of(Snapshot.class);
        assertInstanceOf(PojoTypeInfo.class, type);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<Snapshot> serializer = type.createSerializer(config);

        Snapshot metrics = TestSnapshots.database("a", 60_000, 5L, "app", 10, 2);
        StatementsSnapshot statements = new StatementsSnapshot();
        statements.setInstance("a");
        statements.setView("pg_stat_statements");
        statements.setCollectedAt(60_000);
        statements.setExtensionVersion("1.10");
        statements.getRows().add(new SnapshotRow().label("queryid", "42").value("calls", 3.0));
        statements.getTexts().add(new QueryText("42", "SELECT 1", false));
        PlansSnapshot plans = new PlansSnapshot();
        plans.setInstance("a");
        plans.setView("plans");
        plans.setStatus("ok");
        for (Snapshot s : List.of(metrics, statements, plans)) {
            DataOutputSerializer out = new DataOutputSerializer(256);
            serializer.serialize(s, out);
            Snapshot back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
            assertEquals(s.getClass(), back.getClass());
            assertEquals(s, back);
        }
    }

    @Test
    void stateClassesKeepTheNamesTheSavepointsHold() {
        // Flink writes these names into every savepoint: moving or renaming a class breaks the restore.
        assertEquals("dev.datainsight.jobs.functions.ViewState", ViewState.class.getName());
        assertEquals("dev.datainsight.jobs.functions.Bucket", Bucket.class.getName());
        assertEquals("dev.datainsight.jobs.records.PlanSeen", dev.datainsight.jobs.records.PlanSeen.class.getName());
        assertEquals("dev.datainsight.jobs.records.InstanceInfo", InstanceInfo.class.getName());
        assertEquals("dev.datainsight.jobs.records.PendingSnapshots", PendingSnapshots.class.getName());
        assertEquals("dev.datainsight.jobs.records.CompactSnapshot", CompactSnapshot.class.getName()); // inside pending
    }

    @Test
    void rowKeysRoundTripToLabels_includingNullLabels() {
        var def = dev.datainsight.model.MetricCatalog.view("pg_stat_user_tables");
        var row = new dev.datainsight.model.SnapshotRow().label("datname", "app").label("schemaname", null)
                .label("relname", "orders");
        var s = new dev.datainsight.model.MetricsSnapshot();
        s.setInstance("a");
        s.setView("pg_stat_user_tables");
        s.setCollectedAt(1);
        s.setServerVersionNum(170000);
        s.getRows().add(row);
        CompactSnapshot c = CompactSnapshot.of(s);
        Map<String, String> back = CompactSnapshot.labelsOf(def, c.rowKeys[0]);
        assertEquals(row.getLabels(), back);
    }
}
