"""The static HTML report of a spider's corpus: ``python -m crawler.report``.

``data`` gathers what the outputs say (feeds, edit history, last run's stats,
WARC sizes, archive coverage), ``plots`` draws it with matplotlib as SVG, and
``page`` writes one self-contained page that opens offline in any browser.
"""
