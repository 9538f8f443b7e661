"""UN/EDIFACT codec: streaming reader with envelope checks, segment-group trees for the maps, writer
(pydifact's serialiser) and CONTRL.

Follows ISO 9735 syntax versions 1 to 4 (UNA, UNB/UNZ, UNG/UNE, UNH/UNT) and the CONTRL message.
"""
