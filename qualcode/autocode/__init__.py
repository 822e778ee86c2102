"""Auto-coding: matching rules against text, and runs (select, match, store)."""
