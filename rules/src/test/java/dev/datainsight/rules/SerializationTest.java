package dev.datainsight.rules;

import dev.datainsight.model.AlertEvent;
import dev.datainsight.rules.engine.ActiveSeries;
import dev.datainsight.rules.engine.AlertState;
import dev.datainsight.rules.engine.Evaluation;
import dev.datainsight.rules.engine.InstanceInfo;
import dev.datainsight.rules.engine.Memory;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** Records and state types stay Flink POJOs (no silent Kryo fallback in state or on the wire). */
class SerializationTest {
    @Test
    void stateAndRecordTypes_areSerializedAsPojosWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(Evaluation.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(AlertState.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(Memory.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(ActiveSeries.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(InstanceInfo.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(AlertEvent.class);
    }
}
