package dev.datainsight.rules.defs;

import dev.datainsight.rules.engine.Rule;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every rule DataInsight ships, in documentation order. */
public final class RuleCatalog {
    private static final List<Rule> ALL = List.of(
            new CheckpointSpikeRule(),
            new AutovacuumLagRule(),
            new DbGrowthRule(),
            new CacheHitRatioRule(),
            new ConnectionSaturationRule(),
            new IdleInTransactionRule(),
            new LongTransactionRule(),
            new LockContentionRule(),
            new LockWaitsRule(),
            new DeadlocksRule(),
            new SlowQueryRule(),
            new QueryRegressionRule(),
            new TempSpillRule(),
            new ReplicationLagRule(),
            new XidWraparoundRule(),
            new XminHorizonRule(),
            new ReplicationSlotRule(),
            new ArchiverFailingRule(),
            new ChecksumFailuresRule(),
            new ServerRestartedRule(),
            new TableFreezeAgeRule(),
            new WalReadyBacklogRule(),
            new SessionsFatalKilledRule(),
            new RecoveryConflictsRule(),
            new RoleChangedRule(),
            new StandbyMissingRule(),
            new WalRateSpikeRule(),
            new LockTableFillRule(),
            new PgssDeallocRule(),
            new InstanceDownRule(),
            new InstanceSilentRule(),
            new PipelineRestartingRule(),
            new AnomalyRule(),
            new UnusedIndexInsight(),
            new SequenceExhaustionInsight(),
            new RollbackRatioInsight(),
            new InvalidIndexInsight(),
            new PendingRestartInsight(),
            new PlanChangeInsight());

    private static final Map<String, Rule> BY_NAME;

    static {
        Map<String, Rule> m = new LinkedHashMap<>();
        for (Rule r : ALL) {
            if (m.put(r.name(), r) != null) {
                throw new IllegalStateException("duplicate rule " + r.name());
            }
        }
        BY_NAME = Collections.unmodifiableMap(m);
    }

    private RuleCatalog() {}

    public static List<Rule> all() {
        return ALL;
    }

    public static Map<String, Rule> byName() {
        return BY_NAME;
    }
}
