"""The demo: a realistic team workbook generated from a seed."""
