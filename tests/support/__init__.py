"""Helpers for the tests: real workbooks, the real command line, LibreOffice as a checker."""
