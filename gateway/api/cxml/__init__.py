"""`POST /cxml`: partners' cXML requests in, the synchronous cXML Response out."""
