"""Codecs: pure readers and writers for X12, EDIFACT, cXML and JSON, plus the acknowledgement writers."""
