"""X12 codec: streaming reader with envelope checks, writer, and 997/999/TA1 acknowledgements.

Follows X12 control segments ISA/IEA, GS/GE, ST/SE (004010 through 005010).
"""
