"""Domain logic: pure Python on plain data. Nothing here knows about Excel, files or mail."""
