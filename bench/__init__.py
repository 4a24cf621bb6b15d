"""Load and scale scenarios: `python bench/dataset.py`, `python bench/run.py`, `python bench/queries.py`."""
