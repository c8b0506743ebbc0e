"""Signing in and out, organisations and users, the audit log. Other features use
``costing.accounts.service``."""
