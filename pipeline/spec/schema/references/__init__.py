"""Checks across spec files: every name a spec uses refers to something that exists.

The schema checks each file alone; these check what one file says of another: a table's
variables and subgroups are in its survey's codebook, a net's codes are the question's, a
target's table, series, column and category exist, every table file is listed by the chapter
it belongs to, and every routing rule, filter and derived expression names only variables its
survey has (see `pipeline.spec.expressions.expression_problems`). Each finding is located at its key.

One module per file that refers to others: `codebooks`, `tables` (and the table cells other
specs name), `published`, `report` (report.yaml) and `data_folder` (rename map and frames), all
looking names up in `names` (what one survey defines). `pipeline.spec.schema.checked` reads the
files and runs these checks.
"""
