"""Contractors' pay proposals (rosters): entered on a page or imported from a spreadsheet (``files``),
checked against the standards and the purchaser's budget, shared, exported. Other features use
``costing.rosters.service``."""
