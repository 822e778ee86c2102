"""Pure text tools with no project: decoding, speaker layout, segmenting, language, CSV sniffing."""
