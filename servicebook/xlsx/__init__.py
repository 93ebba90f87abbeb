"""The file adapter: reading and writing .xlsx/.xlsm files on disk, without Excel."""
