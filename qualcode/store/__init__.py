"""The only SQL that writes: the project file, its migrations, and one module per kind of row."""
