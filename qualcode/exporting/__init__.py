"""Writers for analysis results: CSV, XLSX, Markdown, JSON and the shaded terminal table.

Writers take finished results (:class:`qualcode.analysis.matrix.Matrix`, quote rows,
:class:`qualcode.analysis.cooccur.Cooccurrence`) and only format them; they never query or
recompute, so every format shows exactly the same numbers. Text writers write to a stream the
caller opens (:func:`qualcode.exporting.tables.open_output`); XLSX writers to a path.
"""
