"""Matching: candidates for a job and jobs for a candidate (issue 15). The language part
(text folding and stemming, protected information removed, the shipped skills and titles
vocabulary, concepts recognised in a text), the BM25 index of the CV bank and the score.
See docs/matching.md."""
