"""Trustworthy coding: agreement between coders, and between auto-coding rules and a coder.

:mod:`qualcode.agreement.statistics` holds the statistics as pure functions;
:mod:`qualcode.agreement.compare` reads coders' decisions from one or two projects and computes
agreement per code, pooled and per variable; :mod:`qualcode.agreement.rules` measures the
codebook's rules against a human coder and draws stratified samples for double coding.
"""
