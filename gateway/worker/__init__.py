"""Background work: `enqueue` (the facade every caller uses), `settings` (the arq worker).

Tasks are thin sync functions registered with `@enqueue.task("<part>.<verb>")`; they run inline
when no Redis is configured and in an arq worker otherwise. Only this package imports arq.
"""
