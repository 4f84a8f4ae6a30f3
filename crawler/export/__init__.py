"""Outputs for analysis: a SQLite database for Datasette, and a Parquet feed exporter.

``python -m crawler.export sqlite OUT.db`` (crawler/export/sqlite.py) and
``-o items.parquet:parquet`` (crawler/export/parquet.py).
"""
