"""What each command does, end to end: read the workbook, run the domain, write the edits."""
