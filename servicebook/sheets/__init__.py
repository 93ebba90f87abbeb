"""The sheets the tool lays out itself, with openpyxl: a new workbook's sheets from the definition,
the 月报 and the 客户历史, and edits applied to such a sheet. Every writer transfers them into its
workbook — the part writer into the package, the add-in into the open workbook — so neither
adapter reaches into the other."""
