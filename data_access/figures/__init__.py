"""The figures the pages, the export and the command line show, one function each (docs/architecture.md §2).

Each function takes the frames of `data_access.queries` (or an engine, scope and settings) and
returns the finished table or values; pages only lay them out and format them.
"""
