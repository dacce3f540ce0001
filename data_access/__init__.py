"""The data layer: the schema, the reads and writes, the figures (docs/architecture.md)."""

import pandas as pd

# Text columns hold Python strings, not Arrow buffers (pandas' default with pyarrow installed):
# the dashboard reads text value by value (names into tables, maps, tooltips, cells written for
# people), which Arrow-held text converts one value at a time; the dtype stays pandas' `str`
# (docs/benchmarks.md, "The map's first picture, text as Python strings").
pd.set_option("mode.string_storage", "python")
