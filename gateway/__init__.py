"""Supplier collaboration gateway: suppliers' EDI, cXML and API traffic as one canonical stream."""

from gateway import native

__version__ = "0.1.0"

native.guard()  # compiled hot modules when a current build exists (`make native`), else the sources
