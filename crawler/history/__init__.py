"""Edit histories of articles: ``python -m crawler.history rebuild|show``.

The versions live in the article store (crawler/state/versions.py); this
package rebuilds them from an archive's metadata records and shows them as
word-level diffs, in the terminal or as side-by-side HTML pages.
"""
