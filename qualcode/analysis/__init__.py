"""Reading codings back: quotes now; matrices, co-occurrence and agreement build on this."""
