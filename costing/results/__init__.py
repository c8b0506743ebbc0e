"""What people read: a stored result turned into labels, formatted figures, findings by severity, basis
rows and listed assumptions, once for every output (the pages, the PDF and the workbook, the roster
report and its workbook, the CLI's text). It depends on the engine only: no web code, no database."""
