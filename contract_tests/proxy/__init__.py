"""Tools that judge traffic by the suite's reading of the contract: a checking proxy,
a judge of HAR recordings, and (in :mod:`.commands`) their command lines.

They share one per-exchange judge (:mod:`.judge`) built from the suite's own assertions
and oracle, so the proxy and the checks never disagree on what a rule means.
"""
