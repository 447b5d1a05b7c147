package dev.datainsight.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.datainsight.jobs.functions.Bucket;
import dev.datainsight.jobs.functions.ViewState;
import dev.datainsight.jobs.records.CompactSnapshot;
import dev.datainsight.jobs.records.InstanceInfo;
import dev.datainsight.jobs.records.InstanceSeen;
import dev.datainsight.jobs.records.PendingSnapshots;
import dev.datainsight.jobs.records.RollupBatch;
import dev.datainsight.jobs.records.StatementTexts;
import dev.datainsight.model.DeadLetterRecord;
import java.util.Map;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** Everything that crosses the network or sits in state is a Flink POJO, never Kryo. */
class RecordTypesTest {
    @Test
    void networkAndStateTypesAreSerializedAsPojos() {
        PojoTestUtils.assertSerializedAsPojo(CompactSnapshot.class);
        PojoTestUtils.assertSerializedAsPojo(RollupBatch.class);
        PojoTestUtils.assertSerializedAsPojo(InstanceSeen.class);
        PojoTestUtils.assertSerializedAsPojo(StatementTexts.class);
        PojoTestUtils.assertSerializedAsPojo(DeadLetterRecord.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(CompactSnapshot.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(RollupBatch.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(PendingSnapshots.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(InstanceInfo.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ViewState.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(Bucket.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.datainsight.jobs.records.CapturedPlan.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.datainsight.jobs.records.PlanSeen.class);
        PojoTestUtils.assertSerializedAsPojo(dev.datainsight.jobs.records.PlanRecord.class);
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
