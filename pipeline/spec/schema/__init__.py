"""The strict schema of every YAML file the build reads, and the checks between them.

One pydantic model per kind of file (`codebook`, `tables`, `report`, `published`,
`reconstruct`, `glossary`, `bench`, `data_folder`), checked strictly: unknown keys, wrong types
and missing keys are errors. `references` checks what the files say of each other, and
`checked` reads a command's files and reports every problem at once, each at its file and line
(`source`, `problems`). `export` writes the models as JSON Schema for editors.
"""

from pipeline.spec.schema.bench import Bench
from pipeline.spec.schema.codebook import Codebook
from pipeline.spec.schema.data_folder import Frame, Rename, Wave
from pipeline.spec.schema.glossary import Glossary
from pipeline.spec.schema.published import Claim, Published, Target
from pipeline.spec.schema.reconstruct import Reconstruction
from pipeline.spec.schema.report import Conventions, Report
from pipeline.spec.schema.tables import Net, Table, TablesFile

__all__ = [
    "Bench",
    "Claim",
    "Codebook",
    "Conventions",
    "Frame",
    "Glossary",
    "Net",
    "Published",
    "Reconstruction",
    "Rename",
    "Report",
    "Table",
    "TablesFile",
    "Target",
    "Wave",
]
