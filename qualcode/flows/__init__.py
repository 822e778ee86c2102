"""Jobs that span parts: importing files into documents, tagging, the demo, codings import."""
