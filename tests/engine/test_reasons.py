def test_a_channel_or_a_stage_in_a_sentence_is_named_never_a_code():
    """Every door (the CLI, simulate, pages) reads "a répondu (appel)", not "(phone)"."""
    from relance.engine.reasons import sentence

    assert sentence("replied", "fr", {"channel": "phone"}) == "Arrêt : a répondu (appel)"
    assert sentence("replied", "en", {"channel": "phone"}) == "Stopped: they answered (call)"
    assert "« entretien final »" in sentence("stage_changed", "fr", {"stage": "final"})
    assert "'withdrawn'" in sentence("stage_end", "en", {"stage": "withdrawn"})
