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
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(dev.datainsight.model.AlertContextItem.class);
    }

    /** The context's fields keep their display order through Flink's serializer (state, network, copies). */
    @Test
    void alertContext_keepsItsFieldOrder_throughFlinkSerialization() throws Exception {
        dev.datainsight.model.AlertContext c = dev.datainsight.model.AlertContext.create();
        dev.datainsight.model.AlertContextItem item = c.item("session");
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String n = "f" + (char) ('z' - i) + i;
            names.add(n);
            item.put(n, "v" + i);
        }
        Evaluation e = new Evaluation();
        e.context = c.bounded();
        e.instanceLabels.put("team", "billing");
        org.apache.flink.api.common.typeutils.TypeSerializer<Evaluation> ser =
                org.apache.flink.api.common.typeinfo.TypeInformation.of(Evaluation.class)
                        .createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl());
        org.apache.flink.core.memory.DataOutputSerializer out = new org.apache.flink.core.memory.DataOutputSerializer(256);
        ser.serialize(e, out);
        Evaluation back = ser.deserialize(new org.apache.flink.core.memory.DataInputDeserializer(out.getCopyOfBuffer()));
        org.junit.jupiter.api.Assertions.assertEquals(names, back.context.get(0).getNames());
        org.junit.jupiter.api.Assertions.assertEquals(new java.util.ArrayList<>(back.context.get(0).fields().keySet()), names);
        org.junit.jupiter.api.Assertions.assertEquals(names, ser.copy(e).context.get(0).getNames());
        org.junit.jupiter.api.Assertions.assertEquals("billing", back.instanceLabels.get("team"));
    }
}
