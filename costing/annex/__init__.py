"""Contract annexes: the budget as a signable PDF (WeasyPrint) and as an Excel workbook (openpyxl),
both built from a revision's stored figures, so an approved annex reads the same after the policy
data changes."""
