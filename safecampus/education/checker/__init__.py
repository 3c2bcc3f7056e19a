"""The fraud-risk checker's engine: text normalisation with an offset map back to what the
user pasted (:mod:`.normalise`), compiled rule sets and scoring (:mod:`.engine`), the default
rule set written for SafeCampus (:mod:`.default_rules`) and the evaluation of a rule set
against labelled messages (:mod:`.evaluation`).

Nothing here touches the database except :func:`.engine.compile_ruleset`'s reading of a
rule set's rules; nothing here stores or logs a checked text.
"""
