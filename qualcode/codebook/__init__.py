"""The codebook: its model (codes, rules, content hash) and its files."""
