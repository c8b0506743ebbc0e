"""Budgets: the form with its live preview, revisions, submission and approval, sharing with contractors,
the annex downloads. Other features use ``costing.budgets.service``."""
