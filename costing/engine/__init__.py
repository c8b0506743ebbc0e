"""The calculation core: no Flask, SQLAlchemy, WTForms or WeasyPrint here."""
