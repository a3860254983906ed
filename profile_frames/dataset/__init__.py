"""Many profiles in one Parquet dataset: ingest them, then query across runs (``docs/dataset.md``).

Example
-------
>>> from profile_frames.dataset import ingest, open_dataset
>>> callable(ingest), callable(open_dataset)
(True, True)
"""

from .ingest import IngestReport, ingest
from .reader import Dataset, open_dataset

__all__ = ["Dataset", "IngestReport", "ingest", "open_dataset"]
