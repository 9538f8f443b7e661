"""cXML codec (cXML 1.2 Reference Guide): the hardened parser, the envelope, the Response writer.

doc = parser.parse(data, file_name=...)          # FormatError / HostileXmlError / too large
envelope, issues = model.read_envelope(doc)      # payloadID, credentials, request, status
writer.response(writer.StatusCode.OK, payload_id=..., timestamp=...)
"""
