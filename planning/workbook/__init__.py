"""The planning workbook: the whole estate as one xlsx a planner edits (a sheet per model), its
blank template, and the import that reads it back (dry run first, then all-or-nothing)."""
