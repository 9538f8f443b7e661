"""Intake per format: one reader per format, all writing through one format-neutral `IntakeRun`.

    run = IntakeRun(session, rt, receipt, report, now, duplicate_of=...)
    READERS[detect.Format.X12](run)     # interchange by interchange, document by document

A reader frames the bytes, identifies the partner from the envelope, maps each document and builds
its acknowledgement; `IntakeRun` owns what every format shares: the interchange row and its duplicate
check, the unknown-sender case, the document row, correlation of the events, the processing steps and
the report. Only unreadable bytes raise (`FormatError`); the caller records the failure.
"""

from gateway.pipeline.intake.run import IntakeRun, OpenInterchange, Reader
from gateway.pipeline.translate import DocumentOutcome

__all__ = ["DocumentOutcome", "IntakeRun", "OpenInterchange", "Reader"]
