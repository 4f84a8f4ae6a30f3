"""Lets ``scrapyd-deploy`` build the project's egg.

scrapyd-deploy runs ``python setup.py bdist_egg`` and, when there is no
setup.py, writes its own, whose name, package list and entry point would
fight with pyproject.toml. Everything, including the ``scrapy`` entry point
scrapyd reads the settings module from, is declared in pyproject.toml.
"""
from setuptools import setup

setup()
