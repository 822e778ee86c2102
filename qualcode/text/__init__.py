"""Pure text tools with no project: decoding, speaker labels, turns and roles, segmenting,
language, CSV tables."""
