"""The company database the workbooks are copied into (SQLite by default, PostgreSQL for BI tools),
through SQLAlchemy: one table per synced sheet, defined from the workbook's definition."""
