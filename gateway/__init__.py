"""Supplier collaboration gateway: suppliers' EDI, cXML and API traffic as one canonical stream."""

__version__ = "0.1.0"
