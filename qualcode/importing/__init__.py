"""Transcript import: readers per format, then layout, segmenting and the store."""
