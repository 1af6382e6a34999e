"""Agreement with 589 real bounce messages and their expected results (sisimai's corpus).

The floors below are what the classifier reaches today, a little rounded down: a change
that makes it worse fails here. `python -m tests.inbound_agreement` prints the figures and
every disagreement.
"""

from tests.inbound_agreement import measure, report


def test_the_classifier_agrees_with_the_real_bounce_corpus():
    result = measure()
    print(report(result))
    assert result.counts["rows"] == 626
    assert result.rate("kind", "rows") >= 0.98
    assert result.rate("recipient", "bounces") >= 0.95
    assert result.rate("class", "recipient") >= 0.96
    assert result.rate("status", "rfc_status_rows") >= 0.85
    assert result.rate("severity", "recipient") >= 0.82
    assert result.counts["not_bounce"] == result.counts["not_bounces"] == 2
