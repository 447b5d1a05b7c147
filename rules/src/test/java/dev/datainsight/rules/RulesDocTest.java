package dev.datainsight.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.datainsight.rules.defs.RuleCatalog;
import dev.datainsight.rules.engine.Rule;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/rules.md is generated from the rule definitions; this fails when the two drift apart. */
class RulesDocTest {
    private static final Path DOC = Path.of("..", "docs", "rules.md");

    @Test
    void docsRulesMd_matchesTheRuleDefinitions() throws Exception {
        String expected = RulesDoc.render();
        if (Boolean.getBoolean("rules.doc.write")) {
            Files.writeString(DOC, expected);
        }
        assertTrue(Files.exists(DOC), "docs/rules.md is missing: run with -Drules.doc.write=true");
        assertEquals(expected, Files.readString(DOC),
                "docs/rules.md drifted from the rule definitions: regenerate with -Drules.doc.write=true");
    }

    @Test
    void everyRuleIsDocumented_withDetectsWhyAndRunbook() {
        for (Rule r : RuleCatalog.all()) {
            assertTrue(!r.definition().detects().isBlank(), r.name());
            assertTrue(!r.definition().why().isBlank(), r.name());
            assertTrue(!r.definition().runbook().isBlank(), r.name());
        }
    }
}
